/* Funnel settings: reorder stages by drag and drop (saved at once) and add stage rows.
 *
 * The stage table body carries the reorder URL and the CSRF token as data attributes; the
 * messages come from the JavaScript catalogue.
 */
(function () {
    "use strict";

    // Text this file writes itself comes from Django's JavaScript catalogue (the workspace's
    // jsi18n script); without it the English text is shown.
    function gettext(text) { return window.gettext ? window.gettext(text) : text; }

    function stageRows(list) {
        return Array.prototype.slice.call(list.querySelectorAll("tr[data-stage-row]"));
    }

    // Keep the hidden position fields in step with the rows, so saving the form afterwards
    // does not put back the order the page was loaded with.
    function renumber(list) {
        stageRows(list).forEach(function (row, index) {
            var position = row.querySelector('input[name$="-position"]');
            if (position) {
                position.value = index;
            }
        });
    }

    function showStatus(message, kind) {
        var box = document.querySelector("[data-reorder-status]");
        if (!box) {
            return;
        }
        // Each front end names its status styles: "alert alert-" (Oscar), "help-block help-" …
        box.textContent = message;
        box.className = (box.getAttribute("data-status-class") || "alert alert-") + kind;
        box.hidden = false;
    }

    function reorderFailed() {
        return gettext("The new stage order could not be saved; the previous order is back.");
    }

    function RefusedError(message) {
        this.message = message;
    }

    function saveOrder(list, previousRows) {
        var ids = stageRows(list).map(function (row) {
            return row.getAttribute("data-stage-id");
        }).filter(Boolean);
        if (!ids.length) {
            return;  // only unsaved rows moved: their positions go with the form
        }
        var body = new URLSearchParams();
        ids.forEach(function (id) {
            body.append("stage", id);
        });
        list.setAttribute("data-reorder-state", "saving");
        fetch(list.getAttribute("data-reorder-url"), {
            method: "POST",
            credentials: "same-origin",
            headers: {
                "Accept": "application/json",
                "X-CSRFToken": list.getAttribute("data-csrf-token")
            },
            body: body
        }).then(function (response) {
            return response.json().catch(function () {
                return {};
            }).then(function (payload) {
                if (!response.ok || !payload.ok) {
                    throw new RefusedError(payload.error || reorderFailed());
                }
                list.setAttribute("data-reorder-state", "saved");
                showStatus(gettext("New stage order saved."), "success");
            });
        }).catch(function (error) {
            // Put the rows back where the server still has them.
            previousRows.forEach(function (row) {
                list.appendChild(row);
            });
            renumber(list);
            list.setAttribute("data-reorder-state", "refused");
            var message = error instanceof RefusedError ? error.message
                : reorderFailed();
            showStatus(message, "danger");
        });
    }

    function enableSorting(list) {
        var rowsBeforeDrag = [];
        window.Sortable.create(list, {
            handle: ".js-stage-handle",
            draggable: "tr[data-stage-row]",
            animation: 150,
            onStart: function () {
                rowsBeforeDrag = stageRows(list);
            },
            onEnd: function (event) {
                if (event.oldIndex === event.newIndex) {
                    return;
                }
                renumber(list);
                saveOrder(list, rowsBeforeDrag);
            }
        });
    }

    function enableAddStage(button) {
        button.addEventListener("click", function () {
            var template = document.getElementById(button.getAttribute("data-template"));
            var total = document.getElementById(button.getAttribute("data-total-forms"));
            var list = document.querySelector("[data-stage-list]");
            var index = parseInt(total.value, 10);
            list.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__prefix__/g, index));
            total.value = index + 1;
            var row = list.lastElementChild;
            // Give the new row the widgets Oscar's dashboard puts on page load (select2, …).
            if (window.oscar && window.oscar.dashboard && window.oscar.dashboard.initWidgets) {
                window.oscar.dashboard.initWidgets(row);
            }
            var name = row.querySelector('input[name$="-name"]');
            if (name) {
                name.focus();
            }
        });
    }

    function init() {
        var list = document.querySelector("[data-stage-list]");
        if (list && window.Sortable) {
            enableSorting(list);
        }
        var addButton = document.querySelector("[data-add-stage]");
        if (addButton) {
            enableAddStage(addButton);
        }
    }

    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
}());
