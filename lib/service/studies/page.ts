/**
 * The rater's pages, rendered on the server: one image and two buttons (a plain form, so it works
 * by keyboard and without the script), a progress bar, the tutorial's feedback, and a thank-you
 * page. The small script adds the R/F keys, the answer time, and HYPE-time's mask. Nothing on a
 * page says whether its image is real: the image's URL names only the rater's trial.
 */
import { randomBytes } from 'crypto';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
:root { color-scheme: light; font-family: system-ui, sans-serif; color: #1b1b1b; background: #fafafa; }
body { margin: 0; }
main { max-width: 56rem; margin: 0 auto; padding: 1rem; text-align: center; }
h1 { font-size: 1.5rem; margin: 0.5rem 0; }
p { margin: 0.5rem 0; }
.progress { display: flex; gap: 0.75rem; align-items: center; justify-content: center; margin: 0.75rem 0; }
progress { width: min(24rem, 60vw); height: 1rem; }
.note { background: #fff4d6; border: 1px solid #8a6d00; border-radius: 0.25rem; padding: 0.4rem 0.75rem; display: inline-block; }
.feedback { font-weight: 600; }
.feedback.right { color: #0b6b2b; }
.feedback.wrong { color: #a0001b; }
figure { margin: 1rem auto; position: relative; display: inline-block; line-height: 0; }
figure img { max-width: 100%; height: auto; image-rendering: auto; }
.mask { position: absolute; inset: 0; background: repeating-conic-gradient(#6d6d6d 0 25%, #b8b8b8 0 50%) 0 0 / 8px 8px; }
.buttons { display: flex; gap: 1rem; justify-content: center; margin: 1rem 0; }
button { font: inherit; font-size: 1.25rem; min-width: 8rem; min-height: 3rem; border-radius: 0.4rem; border: 2px solid #1b1b1b; background: #fff; cursor: pointer; }
button:focus-visible { outline: 3px solid #005fcc; outline-offset: 2px; }
button:hover { background: #eef3ff; }
kbd { border: 1px solid #555; border-radius: 0.2rem; padding: 0 0.3rem; font-family: ui-monospace, monospace; }
`;

// Keys R and F press the buttons; the answer time runs from the image's display; HYPE-time masks
// the image after its exposure; a second submit of the same trial is dropped (the server would too).
const SCRIPT = `
(function () {
  var form = document.getElementById('answer');
  if (!form) return;
  var img = document.getElementById('stimulus'), mask = document.getElementById('mask'), ms = document.getElementById('ms');
  var exposure = Number(img.getAttribute('data-exposure') || 0), shownAt = null, sent = false;
  function shown() {
    if (shownAt !== null) return;
    shownAt = performance.now();
    if (exposure > 0) setTimeout(function () { img.style.visibility = 'hidden'; mask.hidden = false; }, exposure);
  }
  if (img.complete && img.naturalWidth > 0) shown(); else img.addEventListener('load', shown);
  form.addEventListener('submit', function (e) {
    if (sent) { e.preventDefault(); return; }
    sent = true;
    ms.value = shownAt === null ? '' : String(Math.round(performance.now() - shownAt));
  });
  document.addEventListener('keydown', function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.repeat) return;
    var k = e.key.toLowerCase();
    if (k !== 'r' && k !== 'f') return;
    e.preventDefault();
    form.requestSubmit(document.getElementById(k === 'r' ? 'real' : 'fake'));
  });
})();
`;

export interface RenderedPage {
  html: string;
  /** The Content-Security-Policy header: only this page's own style and script run. */
  csp: string;
}

function page(title: string, body: string, script: boolean): RenderedPage {
  const nonce = randomBytes(16).toString('base64');
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><link rel="icon" href="data:,"><title>${esc(title)}</title><style nonce="${nonce}">${STYLE}</style></head>
<body><main>
${body}
</main>${script ? `<script nonce="${nonce}">${SCRIPT}</script>` : ''}</body></html>`;
  const csp = `default-src 'none'; img-src 'self' data:; style-src 'nonce-${nonce}'; script-src 'nonce-${nonce}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;
  return { html, csp };
}

export interface TrialView {
  base: string;
  secret: string;
  trial: number;
  total: number;
  tutorialTrials: number;
  /** HYPE-time: how long the image shows before its mask (ms). */
  exposureMs: number | null;
  /** The tutorial's answer to the previous trial, shown after the click. */
  feedback?: { right: boolean; truth: string };
}

export function trialPage(v: TrialView): RenderedPage {
  const n = v.trial + 1;
  const practice = v.trial < v.tutorialTrials;
  const label = practice ? `Practice image ${n} of ${v.tutorialTrials}` : `Image ${n - v.tutorialTrials} of ${v.total - v.tutorialTrials}`;
  const q = `k=${encodeURIComponent(v.secret)}`;
  const feedback = v.feedback
    ? `<p class="feedback ${v.feedback.right ? 'right' : 'wrong'}" role="status">${v.feedback.right ? 'Right' : 'Not quite'}: the last image was ${v.feedback.truth}.</p>`
    : '';
  const body = `
<h1>Real or fake?</h1>
<p>Is this image a real photograph, or was it made by a generative model? Press <kbd>R</kbd> for real or <kbd>F</kbd> for fake, or use the buttons.${
    v.exposureMs ? ' Each image shows only for a moment, then is covered.' : ''
  }</p>
${practice ? '<p class="note">Practice: after each answer you see whether it was right. These answers are not scored.</p>' : ''}
${feedback}
<div class="progress"><label for="progress">${label}</label><progress id="progress" max="${v.total}" value="${v.trial}">${v.trial} of ${v.total} answered</progress></div>
<figure><img id="stimulus" src="${v.base}/image?${q}&amp;t=${v.trial}" alt="${esc(label)}: judge whether it is real or fake"${v.exposureMs ? ` data-exposure="${v.exposureMs}"` : ''}><div id="mask" class="mask" hidden></div></figure>
<form id="answer" method="post" action="${v.base}/answer?${q}">
<input type="hidden" name="t" value="${v.trial}"><input type="hidden" id="ms" name="ms" value="">
<div class="buttons"><button type="submit" id="real" name="answer" value="real" aria-keyshortcuts="R">Real</button><button type="submit" id="fake" name="answer" value="fake" aria-keyshortcuts="F">Fake</button></div>
</form>`;
  return page(`${label} — real or fake?`, body, true);
}

export function thanksPage(o: { scored: number; right: number }): RenderedPage {
  const pct = o.scored ? ((100 * o.right) / o.scored).toFixed(1) : '-';
  const body = `
<h1>Thank you!</h1>
<p role="status">You judged ${o.scored} images and were right about ${o.right} of them: an accuracy of <strong id="accuracy">${pct}%</strong>.</p>
<p>Your answers are saved. You can close this page.</p>`;
  return page('Thank you — real or fake?', body, false);
}

export function messagePage(title: string, message: string): RenderedPage {
  return page(title, `<h1>${esc(title)}</h1><p role="alert">${esc(message)}</p>`, false);
}
