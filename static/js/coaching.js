// Coaching session form: show one empty action-item row, with a button for more.
// Without JavaScript every row shows, and empty rows are ignored on save.
(function () {
  "use strict";
  var group = document.getElementById("new-items");
  if (!group) { return; }
  var rows = Array.prototype.slice.call(group.querySelectorAll("[data-item-row]"));

  function isEmpty(row) {
    var filled = Array.prototype.some.call(row.querySelectorAll("input, select"), function (el) {
      return el.value && el.value.trim() !== "";
    });
    return !filled && !row.querySelector(".usa-error-message");
  }

  // Keep rows with content (or errors) and the first empty one; hide the other empty ones.
  var shownEmpty = false;
  rows.forEach(function (row) {
    if (isEmpty(row)) {
      if (shownEmpty) { row.hidden = true; } else { shownEmpty = true; }
    }
  });
  if (!rows.some(function (row) { return row.hidden; })) { return; }

  var button = document.createElement("button");
  button.type = "button";
  button.className = "usa-button usa-button--outline cop-add-item";
  button.textContent = "Add another action item";
  button.addEventListener("click", function () {
    var next = rows.filter(function (row) { return row.hidden; })[0];
    if (!next) { return; }
    next.hidden = false;
    var first = next.querySelector("input, select");
    if (first) { first.focus(); }
    if (!rows.some(function (row) { return row.hidden; })) { button.remove(); }
  });
  group.appendChild(button);
})();
