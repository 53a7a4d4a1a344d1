/* khedma.js - optional enhancements of the web storefront (docs/web.md). Every page and form works
   without it; this file only makes forms harder to send twice. Loaded with defer from 'self'. */
'use strict';
document.addEventListener('submit', function (ev) {
  var form = ev.target;
  if (!(form instanceof HTMLFormElement)) return;
  if (form.dataset.sent === '1') { ev.preventDefault(); return; }
  form.dataset.sent = '1';
  var buttons = form.querySelectorAll('button[type=submit]');
  /* Disabled after the submission started, so the button's own name/value is still sent. */
  setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
});
window.addEventListener('pageshow', function () {
  /* Coming back with the browser's back button: the page may come from the cache, sent state and all. */
  document.querySelectorAll('form[data-sent="1"]').forEach(function (f) {
    f.dataset.sent = '';
    f.querySelectorAll('button[type=submit]').forEach(function (b) { b.disabled = false; });
  });
});
