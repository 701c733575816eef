/** The one stylesheet (CSP: style-src 'self'): readable on a phone first, wider tables on a desktop. */
export const STYLESHEET = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;background:#f4f6f8}
header{background:#1f3a5f;color:#fff;padding:.7rem 1rem;display:flex;justify-content:space-between;align-items:center;gap:.5rem;flex-wrap:wrap}
header a{color:#fff;font-weight:600;text-decoration:none}
header form{margin:0}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.35rem;margin:.2rem 0 1rem}
h2{font-size:1.05rem;margin:1.4rem 0 .5rem;color:#1f3a5f}
.card{background:#fff;border:1px solid #d8dee4;border-radius:.5rem;padding:.8rem 1rem;margin:0 0 .8rem}
.card a.title{font-weight:700;font-size:1.05rem;word-break:break-all}
.meta{color:#57606a;font-size:.9rem}
.risk{display:inline-block;padding:0 .45rem;border-radius:.3rem;font-size:.8rem;font-weight:700}
.risk-HIGH{background:#ffd7d5;color:#82071e}.risk-MEDIUM{background:#fff1c2;color:#6c4400}.risk-LOW{background:#dafbe1;color:#116329}
ol.plan{padding-left:1.4rem}ol.plan li{margin:.2rem 0;word-break:break-word}
code,.hash{font-family:ui-monospace,Menlo,monospace;font-size:.85rem;word-break:break-all}
ul.checks,ul.timeline{list-style:none;padding:0;margin:0}
ul.checks li,ul.timeline li{padding:.35rem 0;border-bottom:1px solid #eaeef2;word-break:break-word}
.pass{color:#116329;font-weight:700}.fail{color:#82071e;font-weight:700}
.notice{padding:.7rem 1rem;border-radius:.5rem;margin:0 0 1rem;font-weight:600}
.notice.ok{background:#dafbe1;color:#116329}.notice.refused{background:#ffebe9;color:#82071e}
form.decide{display:grid;gap:.6rem}
label{font-weight:600}
input[type=text],input[type=password],textarea{width:100%;padding:.6rem;font:inherit;border:1px solid #afb8c1;border-radius:.4rem}
button{font:inherit;font-weight:700;padding:.7rem 1.2rem;border:0;border-radius:.4rem;cursor:pointer;min-height:2.8rem}
button.approve,a.button.approve{background:#1f883d;color:#fff}
a.button{display:inline-block;font-weight:700;padding:.7rem 1.2rem;border-radius:.4rem;text-decoration:none}
button.reject{background:#cf222e;color:#fff}button.plain{background:#eaeef2;color:#1b1f24}
.forms{display:grid;gap:1rem}
@media (min-width:48rem){.forms{grid-template-columns:1fr 1fr}}
`;
