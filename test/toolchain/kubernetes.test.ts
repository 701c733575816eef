/** Kubernetes provisioning logic that needs no build: staging module pins and the choice of cluster. */
import { describe, expect, it } from 'vitest';
import { stagingModules } from '../../toolchain/kubernetes-binaries';
import { kubernetesTarget } from '../../toolchain/kubernetes-target';

describe('stagingModules', () => {
  it('lists exactly the modules k8s.io/kubernetes requires at the placeholder v0.0.0', () => {
    const goMod = [
      'module k8s.io/kubernetes',
      'require (',
      '\tgithub.com/spf13/cobra v1.10.2',
      '\tk8s.io/api v0.0.0',
      '\tk8s.io/kube-openapi v0.0.0-20260317180543-43fb72c5454a',
      '\tk8s.io/cri-client v0.0.0',
      ')',
      'replace k8s.io/api => ./staging/src/k8s.io/api',
    ].join('\n');
    expect(stagingModules(goMod)).toEqual(['k8s.io/api', 'k8s.io/cri-client']);
  });
});

describe('kubernetesTarget', () => {
  it("uses the user's cluster when KUBECONFIG is set, starting nothing", async () => {
    const lines: string[] = [];
    const target = await kubernetesTarget({ log: (line) => lines.push(line), env: { KUBECONFIG: '/home/me/.kube/dev:/home/me/.kube/ci' } });
    expect(target).toMatchObject({ kubeconfig: null, source: 'kubeconfig' });
    expect(lines).toEqual(['Kubernetes: your cluster (KUBECONFIG=/home/me/.kube/dev:/home/me/.kube/ci); no local control plane started']);
    await target.stop();
  });
});
