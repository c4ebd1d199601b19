// Triage: choosing a response template fills the public note (editable before saving).
(function () {
  "use strict";
  var select = document.getElementById("template");
  var data = document.getElementById("template-texts");
  if (!select || !data) { return; }
  var texts = JSON.parse(data.textContent);
  var status = document.getElementById("to_status");
  var note = document.getElementById("public_note");
  function filter() {
    Array.prototype.forEach.call(select.options, function (o) {
      if (o.value) { o.hidden = Boolean(status.value) && o.dataset.status !== status.value; }
    });
  }
  status.addEventListener("change", filter);
  select.addEventListener("change", function () {
    var t = texts[select.value];
    if (!t) { return; }
    note.value = t.text;
    if (!status.value) { status.value = t.status; filter(); }
  });
})();
