/* The order page: "Copy billing details" puts the billing address, email and phone on the
   clipboard; without the Clipboard API (plain http, old browsers) it falls back to
   selecting the text and execCommand("copy"). */
(function () {
    "use strict";

    // Text this file writes itself comes from Django's JavaScript catalogue (the workspace's
    // jsi18n script); without it the English text is shown.
    function gettext(text) { return window.gettext ? window.gettext(text) : text; }

    function fallbackCopy(text) {
        var area = document.createElement("textarea");
        area.value = text;
        area.setAttribute("readonly", "");
        area.style.position = "fixed";
        area.style.opacity = "0";
        document.body.appendChild(area);
        area.select();
        var ok = false;
        try {
            ok = document.execCommand("copy");
        } catch (error) {
            ok = false;
        }
        document.body.removeChild(area);
        return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
    }

    function copy(text) {
        if (navigator.clipboard && window.isSecureContext) {
            return navigator.clipboard.writeText(text).catch(function () {
                return fallbackCopy(text);
            });
        }
        return fallbackCopy(text);
    }

    function say(button, message) {
        var label = button.getAttribute("data-label") || button.innerHTML;
        button.setAttribute("data-label", label);
        button.textContent = message;
        window.setTimeout(function () { button.innerHTML = label; }, 2000);
    }

    document.addEventListener("click", function (event) {
        var button = event.target.closest(".ooe-copy");
        if (!button) {
            return;
        }
        event.preventDefault();
        var source = document.querySelector(button.getAttribute("data-copy-target"));
        if (!source) {
            return;
        }
        copy(source.value || source.textContent).then(function () {
            button.classList.add("ooe-copied");
            say(button, gettext("Copied"));
        }, function () {
            say(button, gettext("Copy failed: select the text and copy it by hand."));
        });
    });
}());
