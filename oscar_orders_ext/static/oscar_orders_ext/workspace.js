/* Order workspace: bulk selection, column picker, Kanban drag and drop, "load more".
 * Works without this file too: every action has a plain form behind it. */
(function () {
    "use strict";

    // Text this file writes itself comes from Django's JavaScript catalogue (the workspace's
    // jsi18n script); without it the English text is shown.
    function gettext(text) { return window.gettext ? window.gettext(text) : text; }

    function csrfToken(scope) {
        var input = (scope || document).querySelector("input[name=csrfmiddlewaretoken]");
        return input ? input.value : "";
    }

    /* --- Table: selection and bulk actions ------------------------------------------- */
    function setUpBulkForm() {
        var form = document.getElementById("ooe-bulk-form");
        if (!form) { return; }
        var pageBox = form.querySelector(".ooe-select-page");
        var boxes = function () { return form.querySelectorAll(".ooe-select"); };
        if (pageBox) {
            pageBox.addEventListener("change", function () {
                boxes().forEach(function (box) { box.checked = pageBox.checked; });
            });
        }
        var action = form.querySelector("select[name=action]");
        function showParams() {
            form.querySelectorAll(".ooe-bulk-param").forEach(function (param) {
                var wanted = action && param.dataset.for.split(" ").indexOf(action.value) >= 0;
                param.style.display = wanted ? "" : "none";  /* .form-inline beats [hidden] */
                param.disabled = !wanted;
            });
        }
        if (action) { action.addEventListener("change", showParams); showParams(); }
        var pressed = null;
        form.querySelectorAll("button[name=apply]").forEach(function (button) {
            button.addEventListener("click", function () { pressed = button; });
        });
        form.addEventListener("submit", function (event) {
            var all = pressed && pressed.value === "all";
            if (all && !window.confirm(pressed.dataset.confirm)) { event.preventDefault(); return; }
            var selected = Array.prototype.filter.call(boxes(), function (box) { return box.checked; })
                .map(function (box) { return box.value; });
            form.querySelector("input[name=selected]").value = all ? "" : selected.join(",");
            form.querySelector("input[name=select_all]").value = all ? "1" : "";
        });
    }

    /* --- Buttons that ask first (issuing an invoice): data-confirm on a submit button ----- */
    function setUpConfirmations() {
        document.querySelectorAll(".ooe-documents button[data-confirm]").forEach(function (button) {
            button.addEventListener("click", function (event) {
                if (!window.confirm(button.dataset.confirm)) { event.preventDefault(); }
            });
        });
    }

    /* --- Filter panel: fetched on first opening (the link reloads the page without JS) -------- */
    function setUpFilterPanel() {
        var toggle = document.querySelector(".ooe-filters-toggle");
        var panel = document.getElementById("ooe-more-filters");
        if (!toggle || !panel) { return; }
        var loaded = false;
        function show(open) {
            panel.classList.toggle("show", open);
            toggle.setAttribute("aria-expanded", open ? "true" : "false");
        }
        toggle.addEventListener("click", function (event) {
            event.preventDefault();
            if (loaded) { show(!panel.classList.contains("show")); return; }
            fetch(new URL(toggle.dataset.panelUrl, window.location.href), {credentials: "same-origin"})
                .then(function (response) {
                    if (!response.ok) { throw new Error(response.statusText); }
                    return response.text();
                }).then(function (html) {
                    panel.innerHTML = html;
                    /* the panel's own fields now carry the values the hidden inputs kept */
                    panel.closest("form").querySelectorAll(".ooe-kept-filter").forEach(function (input) {
                        input.remove();
                    });
                    loaded = true;
                    show(true);
                }).catch(function () { window.location.href = toggle.href; });
        });
    }

    /* --- Table: column picker ----------------------------------------------------------- */
    function setUpColumnPicker() {
        var form = document.getElementById("ooe-columns-form");
        if (!form) { return; }
        var list = form.querySelector(".ooe-column-list");
        if (window.Sortable) { window.Sortable.create(list, {handle: ".ooe-handle", animation: 120}); }
        form.addEventListener("click", function (event) { event.stopPropagation(); });
        form.addEventListener("submit", function () {
            var keys = Array.prototype.filter.call(list.querySelectorAll("input[type=checkbox]"),
                function (box) { return box.checked; }).map(function (box) { return box.value; });
            form.querySelector("input[name=columns]").value = keys.join(",");
        });
    }

    /* --- Kanban ------------------------------------------------------------------------- */
    function toast(board, message, kind) {
        var box = document.querySelector(".ooe-toast");
        if (!box) { return; }
        box.className = "ooe-toast alert alert-" + kind;
        box.textContent = message;
        box.hidden = false;
        window.clearTimeout(box._timer);
        box._timer = window.setTimeout(function () { box.hidden = true; }, 6000);
    }

    function adjustCount(column, delta) {
        var badge = column && column.querySelector(".ooe-count");
        if (badge) { badge.textContent = String(parseInt(badge.textContent, 10) + delta); }
    }

    function fragment(html) {
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        return holder.firstElementChild;
    }

    function putBack(card, from, oldIndex) {
        var reference = from.children[oldIndex] || null;
        from.insertBefore(card, reference);
    }

    function move(board, card, from, to, oldIndex) {
        var body = new URLSearchParams();
        body.append("order", card.dataset.order);
        body.append("stage", to.dataset.stage);
        body.append("version", card.dataset.version);
        card.classList.add("ooe-moving");
        board.dataset.pending = String(parseInt(board.dataset.pending || "0", 10) + 1);
        fetch(board.dataset.moveUrl, {
            method: "POST", body: body, credentials: "same-origin",
            headers: {"Accept": "application/json", "X-CSRFToken": board.dataset.csrf || csrfToken()}
        }).then(function (response) {
            return response.json().catch(function () {
                return {ok: false, message: gettext("The change was refused.")};
            });
        }).then(function (answer) {
            var fresh = answer.card ? fragment(answer.card) : null;
            if (answer.ok) {
                if (fresh) { card.replaceWith(fresh); }
                adjustCount(from.closest(".ooe-column"), -1);
                adjustCount(to.closest(".ooe-column"), +1);
                toast(board, answer.message, "success");
                return;
            }
            if (answer.conflict && fresh) {
                /* Someone else moved it: show it where it really is now. */
                var home = board.querySelector(".ooe-cards[data-stage='" + answer.stage + "']");
                card.remove();
                if (home) { home.insertBefore(fresh, home.firstChild); }
                adjustCount(from.closest(".ooe-column"), -1);
                if (home) { adjustCount(home.closest(".ooe-column"), +1); }
            } else {
                putBack(card, from, oldIndex);
                card.classList.remove("ooe-moving");
            }
            toast(board, answer.message, "danger");
        }).catch(function () {
            putBack(card, from, oldIndex);
            card.classList.remove("ooe-moving");
            toast(board, gettext("The server could not be reached; the card went back."), "danger");
        }).finally(function () {
            board.dataset.pending = String(parseInt(board.dataset.pending, 10) - 1);
        });
    }

    function setUpBoard() {
        var board = document.getElementById("ooe-board");
        if (!board || !window.Sortable) { return; }
        board.querySelectorAll(".ooe-cards").forEach(function (list) {
            window.Sortable.create(list, {
                group: "ooe-cards", sort: false, animation: 120, filter: "select, button, a",
                preventOnFilter: false,
                onEnd: function (event) {
                    if (event.from === event.to) { return; }
                    move(board, event.item, event.from, event.to, event.oldIndex);
                }
            });
        });
        board.addEventListener("click", function (event) {
            var link = event.target.closest(".ooe-load-more");
            if (!link) { return; }
            event.preventDefault();
            var list = link.closest(".ooe-column").querySelector(".ooe-cards");
            var last = list.lastElementChild;
            var url = new URL(link.href, window.location.href);
            if (last) { url.searchParams.set("after", last.dataset.process); }
            fetch(url, {credentials: "same-origin"}).then(function (response) {
                return response.text();
            }).then(function (html) {
                var holder = document.createElement("div");
                holder.innerHTML = html;
                var added = holder.children.length;
                while (holder.firstElementChild) { list.appendChild(holder.firstElementChild); }
                var total = parseInt(link.closest(".ooe-column").querySelector(".ooe-count").textContent, 10);
                if (!added || list.children.length >= total) { link.remove(); }
            });
        });
    }

    /* --- Background export: progress bar ------------------------------------------------- */
    function followExport() {
        var box = document.querySelector(".ooe-export-job");
        if (!box || box.dataset.status === "done" || box.dataset.status === "failed") { return; }
        var bar = box.querySelector(".progress-bar");
        window.setTimeout(function poll() {
            fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"},
                                          credentials: "same-origin"})
                .then(function (response) { return response.json(); })
                .then(function (job) {
                    if (bar) { bar.style.width = job.progress + "%"; bar.textContent = job.progress + "%"; }
                    // A new status brings new words (the worker's count, the download): reload.
                    if (job.status !== box.dataset.status) { window.location.reload(); return; }
                    window.setTimeout(poll, 1500);
                });
        }, 1000);
    }

    /* --- Import: the dry run being read, the commit running -------------------------------- */
    function followImport() {
        var box = document.querySelector(".ooe-import-job");
        if (!box || (box.dataset.status !== "planning" && box.dataset.status !== "running")) { return; }
        var bar = box.querySelector(".progress-bar");
        window.setTimeout(function poll() {
            fetch(box.dataset.statusUrl, {headers: {"Accept": "application/json"},
                                          credentials: "same-origin"})
                .then(function (response) { return response.json(); })
                .then(function (job) {
                    if (job.status !== box.dataset.status) { window.location.reload(); return; }
                    if (bar && job.status === "running") {
                        bar.style.width = job.progress + "%";
                        bar.textContent = job.progress + "%";
                        bar.setAttribute("aria-valuenow", job.progress);
                    }
                    window.setTimeout(poll, 1500);
                });
        }, 1000);
    }

    document.addEventListener("DOMContentLoaded", function () {
        followExport();
        followImport();
        setUpBulkForm();
        setUpConfirmations();
        setUpColumnPicker();
        setUpFilterPanel();
        setUpBoard();
    });
    // Wagtail's listing swaps the results in place when a filter or the search changes.
    document.addEventListener("w-swap:success", function () {
        setUpBulkForm();
        setUpColumnPicker();
    });
}());
