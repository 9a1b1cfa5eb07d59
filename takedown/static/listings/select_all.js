// "Select all on this page" for tables of checkboxes: a checkbox with
// data-select-all="NAME" ticks or clears every checkbox named NAME in its form.
document.addEventListener("change", (event) => {
  const box = event.target;
  const name = box.dataset && box.dataset.selectAll;
  if (!name || !box.form) return;
  for (const other of box.form.querySelectorAll(`input[type=checkbox][name="${name}"]`)) {
    other.checked = box.checked;
  }
});
