/**
 * Progress while following a remediation. In a terminal, event lines scroll above one live status
 * line (phase, current step, elapsed time) that is redrawn in place; elsewhere (pipes, CI logs)
 * only the event lines are printed, so the output stays greppable.
 */
import type { RemediationStatus } from '../contracts/types';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export class ProgressDisplay {
  private statusText = '';
  private frame = 0;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly stream: NodeJS.WriteStream & { isTTY?: boolean }) {
    if (this.live) this.timer = setInterval(() => this.redraw(), 100);
  }

  get live(): boolean {
    return this.stream.isTTY === true;
  }

  line(text: string): void {
    if (this.live) this.stream.write('\r\x1b[K');
    this.stream.write(`${text}\n`);
    if (this.live) this.redraw();
  }

  status(status: RemediationStatus): void {
    const step = status.currentStep ? `, step ${status.currentStep}` : '';
    const approvals = status.phase === 'awaiting_approval' ? `, approvals ${status.approvals.length}/${status.approvalsNeeded}` : '';
    this.statusText = `${status.phase.replace(/_/g, ' ')}${step}${approvals}`;
  }

  done(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.live) this.stream.write('\r\x1b[K');
  }

  private redraw(): void {
    if (!this.statusText) return;
    this.frame = (this.frame + 1) % FRAMES.length;
    const elapsed = Math.round((Date.now() - this.started) / 1000);
    this.stream.write(`\r\x1b[K${FRAMES[this.frame]} ${this.statusText} (${elapsed}s)`);
  }
}
