// Ask before submitting a form marked data-confirm="question" (revoke, disable, rotate).
// A listener here rather than an inline onsubmit, which a Content-Security-Policy forbids.
// Forms htmx loads later are covered too: the listener is on the document.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset && form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
