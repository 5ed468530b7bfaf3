// "Select all" for a table of checkboxes: a box marked data-select-all="NAME" (hidden
// until this script runs, so nobody meets a box that does nothing) ticks or clears
// every box named NAME in its form, and shows "some" when only part are ticked.
document.querySelectorAll("input[data-select-all]").forEach((all) => {
  const boxes = () =>
    Array.from(all.form.querySelectorAll(`input[type=checkbox][name="${all.dataset.selectAll}"]`));
  const sync = () => {
    const ticked = boxes().filter((box) => box.checked).length;
    all.checked = ticked > 0 && ticked === boxes().length;
    all.indeterminate = ticked > 0 && ticked < boxes().length;
  };
  all.hidden = false;
  all.addEventListener("change", () => {
    boxes().forEach((box) => {
      box.checked = all.checked;
    });
    sync();
  });
  boxes().forEach((box) => box.addEventListener("change", sync));
  sync();
});
