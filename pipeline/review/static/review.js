// spanfact review: claim details on hover or click (document pages), sorting and filtering
// (index). The pages read fine without it: every mark links to its card further down.
(function () {
  "use strict";
  var root = document.documentElement;

  function cardFor(id) {
    var cards = document.querySelectorAll("[data-detail-for]");
    for (var i = 0; i < cards.length; i++) {
      if (cards[i].getAttribute("data-detail-for") === id) return cards[i];
    }
    return null;
  }

  function setUpDocument() {
    var panel = document.getElementById("panel");
    if (!panel) return;
    var pinned = null;
    function show(mark) {
      var card = cardFor(mark.getAttribute("data-claim-id"));
      if (!card) return;
      var copy = card.cloneNode(true);
      // The copy must not count as a second card, nor repeat the original's id.
      copy.removeAttribute("id");
      copy.removeAttribute("data-detail-for");
      copy.setAttribute("data-shown-for", mark.getAttribute("data-claim-id"));
      panel.replaceChildren(copy);
    }
    var marks = document.querySelectorAll("[data-claim-id]");
    marks.forEach(function (mark) {
      mark.addEventListener("mouseenter", function () { if (!pinned) show(mark); });
      mark.addEventListener("focus", function () { if (!pinned) show(mark); });
      mark.addEventListener("click", function (event) {
        event.preventDefault();
        if (pinned) pinned.classList.remove("active");
        if (pinned === mark) { pinned = null; return; }
        pinned = mark;
        mark.classList.add("active");
        show(mark);
      });
    });
    panel.setAttribute("data-ready", String(marks.length));
    // A link to #c-<claim id> (from the index) opens with that claim pinned and in view;
    // #claim=<claim id> pins it without scrolling.
    var byLink = /^#c-./.test(location.hash);
    var wanted = byLink ? decodeURIComponent(location.hash.slice(3)) : hashParams().claim;
    if (wanted) {
      marks.forEach(function (mark) {
        if (mark.getAttribute("data-claim-id") !== wanted || pinned) return;
        mark.click();
        // The number in its sentence with its card beside it, not the card list below.
        if (byLink) mark.scrollIntoView({ block: "center" });
      });
    }
  }

  function hashParams() {
    // "#status=rejected&metric=killed": a filtered view that can be linked to.
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (pair) {
      var at = pair.indexOf("=");
      if (at > 0) out[decodeURIComponent(pair.slice(0, at))] = decodeURIComponent(pair.slice(at + 1));
    });
    return out;
  }

  function cellValue(row, index) {
    var cell = row.cells[index];
    if (!cell) return "";
    var key = cell.getAttribute("data-sort");
    return key !== null ? key : cell.textContent.trim().toLowerCase();
  }

  function setUpTable(table) {
    var body = table.tBodies[0];
    var headers = table.querySelectorAll("th[data-sort-type]");
    headers.forEach(function (th) {
      var button = th.querySelector("button");
      if (!button) return;
      button.addEventListener("click", function () {
        var index = Array.prototype.indexOf.call(th.parentNode.children, th);
        var numeric = th.getAttribute("data-sort-type") === "number";
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, index), y = cellValue(b, index);
          var order = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0)
                              : (x < y ? -1 : x > y ? 1 : 0);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  function setUpFilters(form) {
    var table = document.getElementById(form.getAttribute("data-filters"));
    if (!table) return;
    var count = form.querySelector("[data-count]");
    var fields = form.querySelectorAll("[data-filter]");
    function apply() {
      var shown = 0, rows = table.tBodies[0].rows;
      for (var i = 0; i < rows.length; i++) {
        var row = rows[i], keep = true;
        fields.forEach(function (field) {
          var want = field.value.trim().toLowerCase();
          if (!want) return;
          var name = field.getAttribute("data-filter");
          var have = name === "text" ? row.textContent.toLowerCase()
                                     : (row.getAttribute("data-" + name) || "").toLowerCase();
          if (name === "text" ? have.indexOf(want) < 0 : have !== want) keep = false;
        });
        row.hidden = !keep;
        if (keep) shown++;
      }
      if (count) count.textContent = shown + " of " + rows.length + " shown";
    }
    var preset = hashParams();
    fields.forEach(function (field) {
      var name = field.getAttribute("data-filter");
      if (Object.prototype.hasOwnProperty.call(preset, name)) field.value = preset[name];
      field.addEventListener("input", apply);
      field.addEventListener("change", apply);
    });
    form.addEventListener("submit", function (event) { event.preventDefault(); });
    apply();
  }

  function start() {
    setUpDocument();
    document.querySelectorAll("table.sortable").forEach(setUpTable);
    document.querySelectorAll("form[data-filters]").forEach(setUpFilters);
    root.classList.add("js");
    // Tests check this attribute in the DOM Chromium builds: the script ran to its end.
    root.setAttribute("data-review-ready", "1");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
