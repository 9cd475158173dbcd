/* Cart editor: manual orders and the lines of placed orders.
 *
 * The page is a plain form that works without this file: every button posts an "action" and
 * the server renders the page again. With it, cart buttons and changes are posted with fetch,
 * the server answers JSON ({ok, message, html, totals}) and the cart ([data-cart]) is redrawn
 * from the server's HTML, so every figure shown was computed by Oscar on the server.
 * Requests are queued: one at a time, in the order the operator made them.
 *
 * The script knows no CSS framework: each front end's markup names its own classes
 * (data-error-class and data-info-class on the message box, data-result-class on a picker's
 * results) and the message box is shown and hidden with the "hidden" attribute.
 */
(function () {
    "use strict";

    function debounce(fn, wait) {
        var timer = null;
        return function () {
            var args = arguments;
            window.clearTimeout(timer);
            timer = window.setTimeout(function () { fn.apply(null, args); }, wait);
        };
    }

    function classesOf(element, name) {
        return (element.dataset[name] || "").split(" ").filter(Boolean);
    }

    function setUpEditor(form) {
        var cart = form.querySelector("[data-cart]");
        var messageBox = form.querySelector(".ooe-cart-message");
        var refreshAction = form.dataset.refreshAction || "update";
        var queue = Promise.resolve();
        var pending = 0;
        // What the operator typed into the cart while an answer was on its way: redrawing
        // the cart must not throw it away.
        var typed = {};

        form.querySelectorAll(".ooe-nojs").forEach(function (el) { el.hidden = true; });

        function showMessage(text, ok) {
            if (!messageBox) { return; }
            messageBox.textContent = text || "";
            messageBox.hidden = !text;
            messageBox.classList.remove.apply(messageBox.classList,
                                              classesOf(messageBox, ok ? "errorClass" : "infoClass"));
            messageBox.classList.add.apply(messageBox.classList,
                                           classesOf(messageBox, ok ? "infoClass" : "errorClass"));
        }

        function send(action, extra) {
            pending += 1;
            form.setAttribute("aria-busy", "true");
            queue = queue.then(function () {
                var data = new FormData(form);
                data.set("action", action);
                Object.keys(extra || {}).forEach(function (key) { data.set(key, extra[key]); });
                return fetch(form.getAttribute("action") || window.location.href, {
                    method: "POST", body: data, credentials: "same-origin",
                    headers: {"Accept": "application/json",
                              "X-CSRFToken": data.get("csrfmiddlewaretoken") || ""}
                }).then(function (response) {
                    var type = response.headers.get("Content-Type") || "";
                    if (type.indexOf("application/json") < 0) {
                        throw new Error(response.status + " " + response.statusText);
                    }
                    return response.json();
                }).then(function (answer) {
                    if (answer.redirect) { window.location.assign(answer.redirect); return; }
                    if (answer.html) { cart.innerHTML = answer.html; hideNoJs(); keepTyped(); }
                    showMessage(answer.message, answer.ok);
                }).catch(function (error) {
                    showMessage(error.message, false);
                }).then(function () {
                    pending -= 1;
                    if (!pending) {
                        form.setAttribute("aria-busy", "false");
                        form.dispatchEvent(new CustomEvent("ooe:cart-updated", {bubbles: true}));
                    }
                });
            });
            return queue;
        }

        function keepTyped() {
            var again = false;
            Object.keys(typed).forEach(function (name) {
                var field = cart.querySelector("[name='" + name + "']");
                if (field && field.value !== typed[name]) { field.value = typed[name]; again = true; }
            });
            typed = {};
            if (again && pending <= 1) { send(refreshAction); }
        }

        function hideNoJs() {
            cart.querySelectorAll(".ooe-nojs").forEach(function (el) { el.hidden = true; });
        }

        form.addEventListener("submit", function (event) {
            var button = event.submitter;
            if (button && button.hasAttribute("data-cart-action")) {
                event.preventDefault();
                send(button.value);
            }
        });

        cart.addEventListener("input", function (event) {
            if (pending && event.target.name) { typed[event.target.name] = event.target.value; }
        });

        // Quantities, shipping method and charges: recompute as soon as a value is settled.
        cart.addEventListener("change", function (event) {
            if (event.target.name && event.target.name !== "voucher_code") { send(refreshAction); }
        });

        // Enter in a cart field means "apply this field", not "press the first button".
        form.addEventListener("keydown", function (event) {
            var target = event.target;
            if (event.key !== "Enter" || target.tagName !== "INPUT") { return; }
            if (target.name === "voucher_code") {
                event.preventDefault();
                send("voucher");
            } else if (target.hasAttribute("data-picker-input")) {
                event.preventDefault();
                var first = target.closest("[data-picker]").querySelector("[data-picker-results] button");
                if (first) { first.click(); } else if (target.name === "sku" && target.value) { send("add"); }
            } else if (cart.contains(target)) {
                event.preventDefault();
                target.blur();
            }
        });

        form.querySelectorAll("[data-picker]").forEach(function (picker) {
            setUpPicker(form, picker, send, refreshAction);
        });

        var elsewhere = form.querySelector("input[name=ship_elsewhere]");
        var shippingAddress = form.querySelector("[data-shipping-address]");
        if (elsewhere && shippingAddress) {
            var toggle = function () { shippingAddress.hidden = !elsewhere.checked; };
            elsewhere.addEventListener("change", toggle);
            toggle();
        }
        form.setAttribute("aria-busy", "false");
    }

    function setUpPicker(form, picker, send, refreshAction) {
        var kind = picker.dataset.picker;
        var input = picker.querySelector("[data-picker-input]");
        var results = picker.querySelector("[data-picker-results]");
        var url = form.dataset[kind === "product" ? "productSearch" : "customerSearch"];
        if (!input || !results || !url) { return; }

        function clear() { results.innerHTML = ""; }

        function choose(item) {
            clear();
            input.value = "";
            if (kind === "product") {
                var quantity = picker.querySelector("input[name=quantity]");
                send("add", {product: item.id, quantity: quantity ? quantity.value : "1", sku: ""});
                return;
            }
            form.querySelector("input[name=customer]").value = item.id;
            var chosen = form.querySelector("[data-customer-chosen]");
            if (chosen) {
                chosen.textContent = (item.name || item.email) + " <" + item.email + ">";
            }
            var email = form.querySelector("input[name=email]");
            if (email) { email.value = ""; }
            // The customer's saved address fills what the operator has not typed yet.
            var saved = item.address || {};
            var pairs = [["billing-first_name", saved.first_name || item.first_name],
                         ["billing-last_name", saved.last_name || item.last_name],
                         ["phone", saved.phone]];
            Object.keys(saved).forEach(function (name) {
                if (name !== "phone") { pairs.push(["billing-" + name, saved[name]]); }
            });
            pairs.forEach(function (pair) {
                var field = form.querySelector("[name='" + pair[0] + "']");
                if (field && !field.value && pair[1]) {
                    field.value = pair[1];
                    // Oscar's dashboard draws its selects with select2, which redraws on change.
                    if (field.tagName === "SELECT") {
                        field.dispatchEvent(new Event("change", {bubbles: true}));
                    }
                }
            });
            send(refreshAction);  // prices and vouchers may depend on the customer
        }

        var search = debounce(function () {
            var text = input.value.trim();
            if (text.length < 2) { clear(); return; }
            fetch(url + "?q=" + encodeURIComponent(text), {credentials: "same-origin",
                                                           headers: {"Accept": "application/json"}})
                .then(function (response) { return response.json(); })
                .then(function (answer) {
                    if (input.value.trim() !== text) { return; }  // typed on meanwhile
                    clear();
                    answer.results.forEach(function (item) {
                        var button = document.createElement("button");
                        button.type = "button";
                        button.className = classesOf(results, "resultClass").join(" ");
                        button.dataset.id = item.id;
                        button.textContent = kind === "product"
                            ? item.title + (item.sku ? " · " + item.sku : "") +
                              (item.price ? " · " + item.price + " " + item.currency : "") +
                              (item.available ? "" : " · " + item.availability)
                            : (item.name || "—") + " <" + item.email + ">";
                        button.addEventListener("click", function () { choose(item); });
                        results.appendChild(button);
                    });
                });
        }, 250);
        input.addEventListener("input", search);
    }

    function init() {
        document.querySelectorAll("form[data-cart-editor]").forEach(setUpEditor);
    }

    // Wagtail's admin loads page scripts in the head, Oscar's dashboard at the end of the body.
    if (document.readyState === "loading") {
        document.addEventListener("DOMContentLoaded", init);
    } else {
        init();
    }
}());
