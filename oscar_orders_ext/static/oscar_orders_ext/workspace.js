/* Order workspace: bulk selection, column picker, Kanban drag and drop, "load more".
 * Works without this file too: every action has a plain form behind it. */
(function () {
    "use strict";

    // Text this file writes itself comes from Django's JavaScript catalogue (the workspace's
    // jsi18n script); without it the English text is shown.
    function gettext(text) { return window.gettext ? window.gettext(text) : text; }
    function interpolate(format, values, named) {
        if (window.interpolate) { return window.interpolate(format, values, named); }
        return format.replace(/%\((\w+)\)s/g, function (match, key) { return String(values[key]); });
    }

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

    function withFragment(href) {
        var url = new URL(href, window.location.href);
        url.searchParams.set("fragment", "1");
        if (!url.searchParams.get("next")) {
            url.searchParams.set("next", window.location.pathname + window.location.search);
        }
        return url;
    }

    /* --- Confirmation dialog: row cancel, "Move to…" moves that ask, drops that ask -------
     * The link's page body is fetched into a <dialog>; without <dialog> support, or when the
     * fetch fails, the link is followed and the confirmation page does the same. */
    function dialogBox() {
        var box = document.getElementById("ooe-dialog");
        if (!box) {
            box = document.createElement("dialog");
            box.id = "ooe-dialog";
            box.className = "ooe-dialog";
            box.setAttribute("aria-labelledby", "ooe-dialog-title");
            document.body.appendChild(box);
            box.addEventListener("click", function (event) {
                if (event.target.closest(".ooe-dialog-close")) { event.preventDefault(); box.close("cancel"); }
            });
            box.addEventListener("close", function () {
                var done = box._onClose;
                box._onClose = null;
                box._onSubmit = null;
                if (done) { done(box.returnValue); }
            });
            box.addEventListener("submit", function (event) {
                if (!box._onSubmit) { return; }  /* a plain submission: the page follows */
                event.preventDefault();
                var handler = box._onSubmit;
                box._onClose = null;
                box.close("submitted");
                handler(event.target);
            });
        }
        return box;
    }

    /* Open the confirmation at ``href`` in the dialog. onSubmit(form): the script sends it
     * (a drop); without it the form is submitted as a page. onCancel: the dialog was closed. */
    function openDialog(href, onSubmit, onCancel) {
        var box = dialogBox();
        if (typeof box.showModal !== "function") { return Promise.reject(new Error("no dialog")); }
        return fetch(withFragment(href), {credentials: "same-origin"}).then(function (response) {
            if (!response.ok) {
                return response.text().then(function (text) { throw new Error(text || response.statusText); });
            }
            return response.text();
        }).then(function (html) {
            box.innerHTML = html;
            var title = box.querySelector(".ooe-dialog-title");
            if (title) { title.id = "ooe-dialog-title"; }
            box.returnValue = "";
            box._onSubmit = onSubmit || null;
            box._onClose = function () { if (onCancel) { onCancel(); } };
            box.showModal();
            var yes = box.querySelector("button[type=submit]");
            if (yes) { yes.focus(); }
        });
    }

    function setUpDialogLinks() {
        document.addEventListener("click", function (event) {
            var link = event.target.closest("a.ooe-dialog-link, a.ooe-row-cancel");
            if (!link || event.defaultPrevented || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
            if (link.closest("#ooe-board")) { return; }  /* the board handles its own */
            event.preventDefault();
            openDialog(link.href).catch(function () { window.location.href = link.href; });
        });
    }

    /* --- Kanban ------------------------------------------------------------------------- */
    /* Put a card where the server says its order now is (a move's or a conflict's answer). */
    function settle(board, card, from, answer) {
        var fresh = answer.card ? fragment(answer.card) : null;
        var home = answer.stage ? board.querySelector(".ooe-cards[data-stage='" + answer.stage + "']") : null;
        if (fresh && home && card.parentNode === home) {
            card.replaceWith(fresh);
        } else {
            card.remove();
            if (fresh && home) { home.insertBefore(fresh, home.firstChild); }
        }
        if (from !== home) {
            adjustCount(from.closest(".ooe-column"), -1);
            if (home) { adjustCount(home.closest(".ooe-column"), +1); }
        }
    }

    function send(board, body) {
        return fetch(board.dataset.moveUrl, {
            method: "POST", body: body, credentials: "same-origin",
            headers: {"Accept": "application/json", "X-CSRFToken": board.dataset.csrf || csrfToken()}
        }).then(function (response) {
            return response.json().catch(function () {
                return {ok: false, message: gettext("The change was refused.")};
            });
        });
    }

    /* Send a move (a drop, a "Move to…" choice or a confirmed dialog) and show its answer.
     * ``from``/``oldIndex``: where the card goes back to if the move is refused. */
    function move(board, card, from, oldIndex, body) {
        card.classList.add("ooe-moving");
        board.dataset.pending = String(parseInt(board.dataset.pending || "0", 10) + 1);
        function refused(message) {
            putBack(card, from, oldIndex);
            card.classList.remove("ooe-moving");
            toast(board, message, "danger");
        }
        return send(board, body).then(function (answer) {
            if (answer.confirm_url) {  /* this move asks first: the dialog, then the move */
                return openDialog(answer.confirm_url, function (form) {
                    move(board, card, from, oldIndex, new URLSearchParams(new FormData(form)));
                }, function () {
                    refused(gettext("The move was not made."));
                }).catch(function () { refused(answer.message); });
            }
            if (answer.ok) {
                settle(board, card, from, answer);
                toast(board, answer.message, "success");
            } else if (answer.conflict && answer.card) {
                /* Someone else moved it: show it where it really is now. */
                settle(board, card, from, answer);
                toast(board, answer.message, "danger");
            } else {
                refused(answer.message);
            }
        }).catch(function () {
            refused(board.dataset.networkError || gettext("The server could not be reached; the card went back."));
        }).finally(function () {
            board.dataset.pending = String(parseInt(board.dataset.pending, 10) - 1);
        });
    }

    function drop(board, card, from, to, oldIndex) {
        var body = new URLSearchParams();
        body.append("order", card.dataset.order);
        body.append("stage", to.dataset.stage);
        body.append("version", card.dataset.version);
        return move(board, card, from, oldIndex, body);
    }

    /* Dragging near the board's left or right edge (or the window's, for a board wider than
     * it) scrolls the board, faster nearer the edge, so any column can be reached. */
    function autoScroll(board) {
        var EDGE = 80, MAX_SPEED = 24;
        var pointerX = null, frame = null;
        function step() {
            frame = null;
            if (pointerX === null || !board.classList.contains("ooe-dragging")) { return; }
            var rect = board.getBoundingClientRect();
            var left = Math.max(rect.left, 0), right = Math.min(rect.right, window.innerWidth);
            var speed = 0;
            if (pointerX < left + EDGE) {
                speed = -MAX_SPEED * Math.min(1, (left + EDGE - pointerX) / EDGE);
            } else if (pointerX > right - EDGE) {
                speed = MAX_SPEED * Math.min(1, (pointerX - (right - EDGE)) / EDGE);
            }
            if (speed) {
                board.scrollLeft += speed;
                frame = window.requestAnimationFrame(step);
            }
        }
        function track(event) {
            if (!board.classList.contains("ooe-dragging")) { return; }
            var point = event.touches ? event.touches[0] : event;
            if (!point || typeof point.clientX !== "number") { return; }
            pointerX = point.clientX;
            if (!frame) { frame = window.requestAnimationFrame(step); }
        }
        ["dragover", "mousemove", "pointermove", "touchmove"].forEach(function (type) {
            document.addEventListener(type, track, {passive: true});
        });
        return {
            start: function () { board.classList.add("ooe-dragging"); },
            stop: function () {
                board.classList.remove("ooe-dragging");
                pointerX = null;
                if (frame) { window.cancelAnimationFrame(frame); frame = null; }
            }
        };
    }

    function setUpFolding(board) {
        board.addEventListener("click", function (event) {
            var button = event.target.closest(".ooe-fold");
            if (!button) { return; }
            event.preventDefault();
            var column = button.closest(".ooe-column");
            var form = button.closest("form");
            var folded = !column.classList.contains("ooe-folded");
            column.classList.toggle("ooe-folded", folded);
            var label = folded ? button.dataset.unfoldLabel : button.dataset.foldLabel;
            button.title = label;
            button.setAttribute("aria-label", label);
            button.setAttribute("aria-expanded", folded ? "false" : "true");
            button.querySelector("span").textContent = folded ? "»" : "«";
            var body = new URLSearchParams();
            body.append("folded", folded ? "1" : "0");
            fetch(form.action, {
                method: "POST", body: body, credentials: "same-origin",
                headers: {"Accept": "application/json", "X-CSRFToken": board.dataset.csrf || csrfToken()}
            }).then(function (response) {
                if (!response.ok) { throw new Error(response.statusText); }
                form.querySelector("input[name=folded]").value = folded ? "0" : "1";
            }).catch(function () {
                toast(board, gettext("The column could not be remembered."), "danger");
            });
        });
    }

    /* "Move to…": the card's inline menu of the moves the workflow allows (fetched when first
     * opened); a move that asks first opens the dialog. */
    function setUpMoveMenus(board) {
        board.addEventListener("click", function (event) {
            var link = event.target.closest(".ooe-move-link");
            if (link) {
                event.preventDefault();
                var card = link.closest(".ooe-card");
                var panel = card.querySelector(".ooe-move-panel");
                if (panel) {
                    panel.hidden = !panel.hidden;
                    link.setAttribute("aria-expanded", panel.hidden ? "false" : "true");
                    return;
                }
                fetch(withFragment(link.href), {credentials: "same-origin"}).then(function (response) {
                    if (!response.ok) { throw new Error(response.statusText); }
                    return response.text();
                }).then(function (html) {
                    panel = document.createElement("div");
                    panel.className = "ooe-move-panel";
                    panel.innerHTML = html;
                    link.after(panel);
                    link.setAttribute("aria-expanded", "true");
                    var first = panel.querySelector(".ooe-move-choice");
                    if (first) { first.focus(); }
                }).catch(function () { window.location.href = link.href; });
                return;
            }
            var ask = event.target.closest(".ooe-move-panel a.ooe-dialog-link");
            if (ask) {
                event.preventDefault();
                var asking = ask.closest(".ooe-card");
                var list = asking.parentNode;
                var index = Array.prototype.indexOf.call(list.children, asking);
                openDialog(ask.href, function (form) {
                    move(board, asking, list, index, new URLSearchParams(new FormData(form)));
                }).catch(function () { window.location.href = ask.href; });
            }
        });
        board.addEventListener("submit", function (event) {
            var form = event.target.closest(".ooe-move-panel form");
            if (!form) { return; }
            event.preventDefault();
            var card = form.closest(".ooe-card");
            var list = card.parentNode;
            move(board, card, list, Array.prototype.indexOf.call(list.children, card),
                 new URLSearchParams(new FormData(form)));
        });
    }

    function setUpBoard() {
        var board = document.getElementById("ooe-board");
        if (!board) { return; }
        setUpFolding(board);
        setUpMoveMenus(board);
        if (!window.Sortable) { return; }
        var scroller = autoScroll(board);
        board.querySelectorAll(".ooe-cards").forEach(function (list) {
            window.Sortable.create(list, {
                group: "ooe-cards", sort: false, animation: 120, filter: "select, button, a, .ooe-move-panel",
                preventOnFilter: false, scroll: false,
                onStart: scroller.start,
                onEnd: function (event) {
                    scroller.stop();
                    if (event.from === event.to) { return; }
                    drop(board, event.item, event.from, event.to, event.oldIndex);
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
                    // The phase's counts and estimate come with the page's words: redraw the
                    // page when a count appears where there was none (the file being read).
                    if (job.done && !box.querySelector(".progress-bar:not(.ooe-progress-busy)")) { window.location.reload(); return; }
                    if (bar && job.done) {
                        bar.style.width = job.progress + "%";
                        bar.textContent = job.progress + "%";
                        bar.setAttribute("aria-valuenow", job.progress);
                    }
                    var phase = box.querySelector(".ooe-import-phase");
                    if (phase && job.done) {
                        var text = job.status === "planning"
                            ? interpolate(gettext("Reading the file: %(done)s of about %(total)s rows."), job, true)
                            : interpolate(gettext("%(done)s of %(total)s orders imported."), job, true);
                        var eta = phase.querySelector(".ooe-import-eta");
                        phase.firstChild.textContent = text + " ";
                        if (eta) { eta.textContent = job.seconds_left ? interpolate(gettext("About %(left)s s left."), {left: job.seconds_left}, true) : ""; }
                    }
                    window.setTimeout(poll, 1500);
                });
        }, 1000);
    }

    /* --- Order page: forms that start closed are fetched when their panel opens ------------- */
    /* (Without this script the placeholder's link draws the page with the form open.) */
    function lazyForms() {
        document.querySelectorAll("details[data-ooe-lazy]").forEach(function (box) {
            if (box.querySelector("form")) { box.dataset.loaded = "1"; }  // drawn with the page
            box.addEventListener("toggle", function () {
                if (!box.open || box.dataset.loaded) { return; }
                box.dataset.loaded = "1";
                var waiting = box.querySelector(".ooe-lazy-placeholder");
                if (waiting && waiting.dataset.loading) { waiting.textContent = waiting.dataset.loading; }
                fetch(box.dataset.ooeLazy, {credentials: "same-origin"})
                    .then(function (response) {
                        if (!response.ok) { throw new Error(response.statusText); }
                        return response.text();
                    })
                    .then(function (html) {
                        var placeholder = box.querySelector(".ooe-lazy-placeholder");
                        if (placeholder) { placeholder.remove(); }
                        box.insertAdjacentHTML("beforeend", html);
                    })
                    .catch(function () {
                        delete box.dataset.loaded;  // the next opening tries again
                        var placeholder = box.querySelector(".ooe-lazy-placeholder");
                        if (placeholder) { placeholder.textContent = gettext("The form could not be loaded: close and open it again."); }
                    });
            });
        });
    }

    document.addEventListener("DOMContentLoaded", function () {
        lazyForms();
        followExport();
        followImport();
        setUpBulkForm();
        setUpConfirmations();
        setUpColumnPicker();
        setUpFilterPanel();
        setUpDialogLinks();
        setUpBoard();
    });
    // Wagtail's listing swaps the results in place when a filter or the search changes.
    document.addEventListener("w-swap:success", function () {
        setUpBulkForm();
        setUpColumnPicker();
    });
}());
