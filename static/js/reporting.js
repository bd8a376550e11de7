// Reporting pages: sortable tables and the packet's print button. No inline scripts (CSP).
// Without JavaScript, sortable headings are links the server sorts by (where it can) and
// every table reads in its server order; the print button stays hidden.
(function () {
  "use strict";

  function value(row, index, numeric) {
    var cell = row.children[index];
    if (!cell) { return numeric ? null : ""; }
    var raw = cell.getAttribute("data-value");
    if (raw === null) { raw = cell.textContent.trim(); }
    if (!numeric) { return raw.toLowerCase(); }
    if (raw === "") { return null; }
    var n = parseFloat(raw);
    return isNaN(n) ? null : n;
  }

  function sortRows(table, index, numeric, ascending) {
    var body = table.tBodies[0];
    if (!body) { return; }
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = value(a, index, numeric), y = value(b, index, numeric);
      if (x === null && y === null) { return 0; }
      if (x === null) { return 1; }  // nothing to compare: last, either way
      if (y === null) { return -1; }
      var order = numeric ? x - y : x.localeCompare(y);
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function mark(th, text) {
    var m = th.querySelector(".cop-sort__mark");
    if (m) { m.textContent = text; }
  }

  Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), function (table) {
    var headers = Array.prototype.slice.call(table.querySelectorAll("thead th[data-sort-key]"));
    var status = document.createElement("p");
    status.className = "usa-sr-only";
    status.setAttribute("role", "status");
    table.parentNode.insertBefore(status, table.nextSibling);
    headers.forEach(function (th) {
      var index = Array.prototype.indexOf.call(th.parentNode.children, th);
      var control = th.querySelector("a.cop-sort");
      if (!control) {
        control = document.createElement("button");
        control.type = "button";
        control.className = "cop-sort";
        while (th.firstChild) { control.appendChild(th.firstChild); }
        var m = document.createElement("span");
        m.className = "cop-sort__mark";
        m.setAttribute("aria-hidden", "true");
        m.textContent = "↕";
        control.appendChild(m);
        th.appendChild(control);
      }
      control.addEventListener("click", function (event) {
        event.preventDefault();
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        sortRows(table, index, th.getAttribute("data-sort-type") === "number", ascending);
        headers.forEach(function (h) { h.removeAttribute("aria-sort"); mark(h, "↕"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        mark(th, ascending ? "↑" : "↓");
        var label = control.textContent.replace(/[↑↓↕]/g, "").trim();
        status.textContent = "Sorted by " + label + ", " + (ascending ? "ascending" : "descending") + ".";
      });
    });
  });

  var print = document.querySelector("[data-print]");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
