/* Product and category pickers of price lists and tag rules, in both skins.
 *
 * A <select data-ooe-lookup="URL"> holds only its chosen option (the catalogue may have
 * tens of thousands of products). A search box is added above it; typing two characters or
 * more asks URL?q=… for matches ({"results": [{"id", "text"}]}) and puts them in the select,
 * whose chosen option stays. No library: the same file runs in Oscar's dashboard and in
 * Wagtail's admin. */
(function () {
    "use strict";

    function fill(select, results) {
        Array.prototype.slice.call(select.options).forEach(function (option) {
            if (option.value && !option.selected) {
                option.remove();
            }
        });
        results.forEach(function (item) {
            if (String(item.id) !== select.value) {
                select.add(new Option(item.text, item.id));
            }
        });
        select.dispatchEvent(new CustomEvent("ooe:lookup-filled", {bubbles: true}));
    }

    function enhance(select) {
        if (select.dataset.ooeLookupReady) {
            return;
        }
        select.dataset.ooeLookupReady = "1";
        var search = document.createElement("input");
        search.type = "search";
        search.className = select.className + " ooe-lookup-search mb-1";
        search.placeholder = select.dataset.ooeLookupPlaceholder || "";
        search.setAttribute("aria-label", search.placeholder);
        search.autocomplete = "off";
        select.parentNode.insertBefore(search, select);
        var timer = null;
        var asked = 0;
        search.addEventListener("input", function () {
            window.clearTimeout(timer);
            timer = window.setTimeout(function () {
                var text = search.value.trim();
                if (text.length < 2) {
                    return;
                }
                var ticket = ++asked;
                var url = select.dataset.ooeLookup + "?q=" + encodeURIComponent(text);
                fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
                    .then(function (response) { return response.json(); })
                    .then(function (data) {
                        if (ticket === asked) {  // an older, slower answer is dropped
                            fill(select, data.results || []);
                        }
                    });
            }, 250);
        });
    }

    function start() {
        document.querySelectorAll("select[data-ooe-lookup]").forEach(enhance);
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", start);
    } else {
        start();
    }
}());
