/** The pages, as HTML: every value from an incident goes through `html`, which escapes it. */
import type { DecisionAnswer } from '../../contracts/types';
import type { Session } from './sessions';
import { html, type Html } from './html';
import type { IncidentView, PendingApproval } from './pending';
import type { PreChecks } from './pre-checks';

export type Notice = { kind: 'ok' | 'refused'; text: string };

/** `moveTo`: a page that goes on to that address by itself (no script: a meta refresh). */
export function layout(title: string, body: Html, session?: Session, moveTo?: string): Html {
  const signOut = session
    ? html`<form method="post" action="/approvals/logout">
        <input type="hidden" name="csrf" value="${session.csrfToken}" /><span>${session.principal}</span>
        <button class="plain" type="submit">Sign out</button>
      </form>`
    : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        ${moveTo === undefined ? '' : html`<meta http-equiv="refresh" content="0; url=${moveTo}" />`}
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title}</title>
        <link rel="stylesheet" href="/approvals/style.css" />
      </head>
      <body>
        <header><a href="/approvals">remediate approvals</a>${signOut}</header>
        <main>${body}</main>
      </body>
    </html>`;
}

function notice(n: Notice | undefined): Html | string {
  return n ? html`<p class="notice ${n.kind}" role="status">${n.text}</p>` : '';
}

/** How people sign in: the policy's local users, or its OIDC provider (then only that). */
export type SignInMode = { kind: 'password' } | { kind: 'oidc' };

export function signInPage(mode: SignInMode, message?: string): Html {
  return layout(
    'Sign in',
    html`<h1>Sign in</h1>
      ${notice(message === undefined ? undefined : { kind: 'refused', text: message })} ${signInForm(mode)}`,
  );
}

function signInForm(mode: SignInMode): Html {
  switch (mode.kind) {
    case 'oidc':
      return html`<p class="card"><a class="button approve" href="/login/oidc">Sign in with your organisation's account</a></p>`;
    case 'password':
      return html`<form class="card decide" method="post" action="/approvals/login">
        <label for="user">User</label><input id="user" type="text" name="user" autocomplete="username" required /><label for="password"
          >Password</label
        ><input id="password" type="password" name="password" autocomplete="current-password" required /><button
          class="approve"
          type="submit"
        >
          Sign in
        </button>
      </form>`;
  }
}

/**
 * After an OIDC callback: the browser arrived from the provider (a cross-site navigation), so the
 * Strict session cookie would not go with a redirect; this page moves on by itself, as a same-site request.
 */
export function signedInPage(principal: string): Html {
  const body = html`<h1>Signed in as ${principal}</h1>
    <p><a href="/approvals">Continue to the pending approvals</a></p>`;
  return layout('Signed in', body, undefined, '/approvals');
}

export function timeLeft(expiresAtMs: number | null, nowMs: number): string {
  if (expiresAtMs === null) return 'no expiry known';
  const minutes = Math.round((expiresAtMs - nowMs) / 60_000);
  if (minutes <= 0) return 'expiring now';
  return minutes >= 120 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min left` : `${minutes} min left`;
}

function approvedBy(p: PendingApproval): Html {
  const by = p.status.approvals.map((a) => a.by);
  const more = Math.max(0, p.status.approvalsNeeded - by.length);
  return html`approved by ${by.length > 0 ? by.join(', ') : 'nobody yet'}; ${more} more needed`;
}

export function listPage(pending: readonly PendingApproval[], session: Session, nowMs: number): Html {
  const cards = pending.map(
    (p) =>
      html`<div class="card">
        <a class="title" href="/approvals/${encodeURIComponent(p.status.incidentId)}">${p.status.incidentId}</a>
        <span class="risk risk-${p.risk ?? 'UNKNOWN'}">${p.risk ?? 'risk unknown'}</span>
        <div>${p.status.runbook ?? '(no runbook)'}</div>
        <div class="meta">${approvedBy(p)} · ${timeLeft(p.expiresAtMs, nowMs)}</div>
      </div>`,
  );
  const body = pending.length > 0 ? cards : html`<p class="card">Nothing is waiting for approval.</p>`;
  return layout(
    'Pending approvals',
    html`<h1>Pending approvals</h1>
      ${body}`,
    session,
  );
}

function preChecksSection(checks: PreChecks): Html {
  if (checks.kind === 'unavailable') return html`<p class="meta">The pre-checks cannot be shown: ${checks.why}.</p>`;
  if (checks.results.length === 0) return html`<p class="meta">This runbook has no pre-checks.</p>`;
  return html`<ul class="checks">
    ${checks.results.map(
      (r) =>
        html`<li>
          <span class="${r.passed ? 'pass' : 'fail'}">${r.passed ? 'passes' : 'fails'}</span> <code>${r.check}</code> (${r.evidence}):
          ${r.reason}
        </li>`,
    )}
  </ul>`;
}

function guardrailsSection(view: IncidentView): Html {
  const g = view.guardrails;
  if (!g) return html`<p class="meta">The guardrail coordinator did not answer.</p>`;
  const runbook = view.status?.runbook ?? '';
  const breaker = Object.hasOwn(g.snapshot.breakers, runbook) ? g.snapshot.breakers[runbook] : undefined;
  const service = view.record.input.incident.service;
  const busy = g.snapshot.active.filter((a) => a.services.includes(service)).map((a) => a.incidentId);
  return html`<ul class="checks">
    <li>acting now: ${g.snapshot.active.length} of at most ${g.snapshot.limits.maxConcurrent}</li>
    <li>
      circuit breaker for ${runbook}: ${breaker ? `${breaker.state} (${breaker.consecutiveFailures} consecutive failures)` : 'closed'}
    </li>
    <li>service ${service}: ${busy.length > 0 ? `being remediated by ${busy.join(', ')}` : 'no remediation acting on it'}</li>
  </ul>`;
}

function decisionForms(p: PendingApproval, session: Session): Html {
  const hidden = html`<input type="hidden" name="csrf" value="${session.csrfToken}" /><input
      type="hidden"
      name="plan_hash"
      value="${p.status.planHash ?? ''}"
    />`;
  const action = `/approvals/${encodeURIComponent(p.status.incidentId)}/decide`;
  return html`<div class="forms">
    <form class="card decide" method="post" action="${action}">
      ${hidden}<input type="hidden" name="verdict" value="approve" /><button class="approve" type="submit">Approve this plan</button>
    </form>
    <form class="card decide" method="post" action="${action}">
      ${hidden}<input type="hidden" name="verdict" value="reject" /><label for="reason">Reason for rejecting</label
      ><textarea id="reason" name="reason" rows="2" required></textarea><button class="reject" type="submit">Reject</button>
    </form>
  </div>`;
}

export function answerNotice(answer: DecisionAnswer, verdict: 'approve' | 'reject'): Notice {
  if (!answer.counted) return { kind: 'refused', text: `Refused: ${answer.message}` };
  if (verdict === 'reject') return { kind: 'ok', text: `Rejected: ${answer.message}` };
  return { kind: 'ok', text: `Counted: ${answer.approvals} of ${answer.needed} approvals. ${answer.message}` };
}

export function incidentPage(view: IncidentView, checks: PreChecks, session: Session, nowMs: number, shown?: Notice): Html {
  const incident = view.record.input.incident;
  const p = view.pending;
  const head = html`<h1>${incident.id}</h1>
    ${notice(shown)}
    <div class="card">
      <div><b>${incident.service}</b> · ${incident.root_cause} · confidence ${incident.confidence}</div>
      <div class="meta">
        ${view.status ? `phase ${view.status.phase}` : `closed: ${view.timeline.outcome ?? view.timeline.status}`}${p ? html` · ${approvedBy(p)} · ${timeLeft(p.expiresAtMs, nowMs)}` : ''}
      </div>
    </div>`;
  const plan = p
    ? html`<h2>The plan, exactly as it will run</h2>
        <div class="card">
          <div>${p.status.runbook} <span class="risk risk-${p.risk ?? 'UNKNOWN'}">${p.risk ?? 'risk unknown'}</span></div>
          <ol class="plan">
            ${(p.status.planSummary ?? []).map((line) => html`<li><code>${line}</code></li>`)}
          </ol>
          <div class="meta">plan hash <span class="hash">${p.status.planHash}</span></div>
        </div>
        <h2>Pre-checks, run now</h2>
        <div class="card">${preChecksSection(checks)}</div>
        <h2>Guardrails</h2>
        <div class="card">${guardrailsSection(view)}</div>
        <h2>Decide</h2>
        ${decisionForms(p, session)}`
    : html`<p class="card">Nothing is waiting for approval on this remediation.</p>`;
  const timeline = html`<h2>Audit timeline</h2>
    <div class="card">
      <ul class="timeline">
        ${view.timeline.entries.map((e) => html`<li><span class="meta">${e.at.slice(11, 19)}</span> ${e.summary}</li>`)}
      </ul>
    </div>`;
  return layout(incident.id, html`${head}${plan}${timeline}`, session);
}

export function messagePage(title: string, text: string, session?: Session): Html {
  return layout(
    title,
    html`<h1>${title}</h1>
      <p class="notice refused" role="alert">${text}</p>
      <p><a href="/approvals">Back to the pending approvals</a></p>`,
    session,
  );
}
