// Finding a place by its name without GPS or map tiles: a combobox (ARIA 1.2 pattern) over
// /places/search/, which answers from Qurb's own data. The page decides what choosing a
// result does: window.qurbPlaceSearch(root, onChoose). Keyboard: Down/Up move through the
// results (and open them), Enter chooses, Escape closes (a second Escape clears), Tab leaves.
// The number of results, or what went wrong, is announced through the polite live region.
// Also here: the "can't use the map?" links, which move the focus to the first field of
// their target (search box or list), not only the scroll position.
(function () {
  "use strict";

  function focusTarget(link) {
    var id = (link.getAttribute("href") || "").replace(/^#/, "");
    var target = id && document.getElementById(id);
    if (!target) { return; }
    var fields = target.matches("input, select, textarea, button") ? [target]
      : Array.prototype.slice.call(target.querySelectorAll("input, select, textarea, button"));
    var field = fields.filter(function (f) { return !f.disabled && f.offsetParent !== null; })[0];
    if (field) { field.focus(); field.scrollIntoView({ block: "center" }); }
  }
  Array.prototype.forEach.call(document.querySelectorAll("a.skip-map"), function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); focusTarget(link); });
  });

  // The phone's location could not be had: say why in the page's language (the status
  // element's data-denied, data-unavailable, data-timeout) and offer the search instead.
  window.qurbLocationProblem = function (status, error) {
    var code = error && error.code;
    var text = code === 1 ? status.dataset.denied : code === 3 ? status.dataset.timeout : status.dataset.unavailable;
    status.textContent = text + " ";
    status.dataset.problem = code === 1 ? "denied" : code === 3 ? "timeout" : "unavailable";
    var search = document.getElementById("place-search-input");
    if (search && status.dataset.alternative) {
      var link = document.createElement("a");
      link.href = "#place-search-input";
      link.textContent = status.dataset.alternative;
      link.addEventListener("click", function (event) { event.preventDefault(); focusTarget(link); });
      status.appendChild(link);
    }
  };

  function setup(root, onChoose) {
    var input = root.querySelector("[role=combobox]");
    var list = root.querySelector("[role=listbox]");
    var status = root.querySelector("[aria-live]");
    var url = root.dataset.url;
    var results = [];
    var active = -1;
    var timer = null;
    var controller = null;
    var asked = null;

    function say(text) { status.textContent = text || ""; }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
      Array.prototype.forEach.call(list.children, function (li) { li.setAttribute("aria-selected", "false"); });
    }

    function open() {
      if (!results.length) { return; }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function highlight(n) {
      active = n;
      Array.prototype.forEach.call(list.children, function (li, i) {
        li.setAttribute("aria-selected", i === n ? "true" : "false");
      });
      var li = list.children[n];
      if (li) {
        input.setAttribute("aria-activedescendant", li.id);
        li.scrollIntoView({ block: "nearest" });
      }
    }

    function choose(n) {
      var place = results[n];
      if (!place) { return; }
      input.value = place.name;
      asked = input.value.trim();
      close();
      onChoose(place);
    }

    function render() {
      list.textContent = "";
      results.forEach(function (place, i) {
        var li = document.createElement("li");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.area = place.area;
        var name = document.createElement("bdi");
        name.className = "name";
        name.textContent = place.name;
        var about = document.createElement("span");
        about.className = "about";
        about.textContent = place.kind_label + (place.context ? " · " + place.context : "");
        li.appendChild(name);
        li.appendChild(about);
        // Keep the focus in the box when an option is pressed.
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });
        li.addEventListener("click", function () { choose(i); });
        list.appendChild(li);
      });
    }

    function search(force) {
      var q = input.value.trim();
      if (q === asked && !force) { return; }
      asked = q;
      if (controller) { controller.abort(); }
      if (!q) { results = []; render(); close(); say(""); return; }
      controller = new AbortController();
      fetch(url + "?q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" }, credentials: "same-origin", signal: controller.signal
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (answer) {
        if (!answer.ok) { results = []; render(); close(); say(answer.data.error || root.dataset.failed); return; }
        results = answer.data.results || [];
        render();
        close();
        open();
        say(answer.data.message);
      }).catch(function (error) {
        if (error.name !== "AbortError") { results = []; render(); close(); say(root.dataset.failed); }
      });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 180);
    });
    input.addEventListener("keydown", function (event) {
      if (event.isComposing) { return; }
      switch (event.key) {
        case "ArrowDown":
          event.preventDefault();
          if (!results.length) { search(true); return; }
          open();
          highlight(active + 1 >= results.length ? 0 : active + 1);
          break;
        case "ArrowUp":
          event.preventDefault();
          if (!results.length) { return; }
          open();
          highlight(active <= 0 ? results.length - 1 : active - 1);
          break;
        case "Enter":
          // Never sends the surrounding form from here: Enter chooses, or searches now.
          event.preventDefault();
          if (!list.hidden && active >= 0) { choose(active); } else { clearTimeout(timer); search(true); }
          break;
        case "Escape":
          if (!list.hidden) { event.preventDefault(); close(); }
          else if (input.value) { event.preventDefault(); input.value = ""; asked = ""; results = []; render(); say(""); }
          break;
        case "Tab":
          close();
          break;
        default:
          break;
      }
    });
    input.addEventListener("blur", close);
    return { input: input };
  }

  window.qurbPlaceSearch = setup;
})();
