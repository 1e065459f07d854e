// Small conveniences on Courrier's pages, loaded as a file because the
// Content-Security-Policy forbids inline script. Every page works without it.

// <form data-confirm="Question?"> asks before submitting.
document.addEventListener('submit', (e) => {
  const question = e.target.dataset ? e.target.dataset.confirm : undefined;
  if (question && !window.confirm(question)) e.preventDefault();
});

// <select data-autosubmit> submits its form when changed.
document.addEventListener('change', (e) => {
  const el = e.target;
  if (el.matches && el.matches('select[data-autosubmit]') && el.form) el.form.submit();
});
