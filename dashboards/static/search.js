/* CLAC observatory: site search in the browser, offline. MiniSearch (vendored) over the page
   language's index (assets/search-<lang>.js: indicators, countries, pages); words match without
   accents or case, by prefix and with small typos. The query is kept in the address (?q=...). */
(function () {
  "use strict";
  var form = document.getElementById("search-form");
  var input = document.getElementById("search-input");
  var out = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  if (!form || !input || !out || typeof MiniSearch === "undefined" || !window.CLAC_SEARCH) { return; }
  var entries = window.CLAC_SEARCH.entries, words = window.CLAC_SEARCH.words;
  function fold(term) { return term.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase(); }
  var index = new MiniSearch({fields: ["title", "text"], storeFields: ["title", "kind", "url", "summary"],
                              processTerm: fold, searchOptions: {prefix: true, fuzzy: 0.2, boost: {title: 3},
                                                                 combineWith: "AND"}});
  index.addAll(entries);

  function show(query) {
    out.innerHTML = "";
    if (!query.trim()) { status.textContent = ""; return; }
    var results = index.search(query);
    status.textContent = results.length ? words.results.replace("{n}", results.length) : words.none;
    results.slice(0, 50).forEach(function (r) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = r.url;
      a.textContent = r.title;
      var kind = document.createElement("span");
      kind.className = "search-kind";
      kind.textContent = words[r.kind] + ": ";
      li.appendChild(kind);
      li.appendChild(a);
      if (r.summary) {
        var p = document.createElement("p");
        p.textContent = r.summary;
        li.appendChild(p);
      }
      out.appendChild(li);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    show(input.value);
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "?q=" + encodeURIComponent(input.value));
    }
  });
  var match = /[?&]q=([^&]*)/.exec(window.location.search);
  if (match) {
    input.value = decodeURIComponent(match[1].replace(/\+/g, " "));
    show(input.value);
  }
})();
