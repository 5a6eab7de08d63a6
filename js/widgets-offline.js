// Loaded after require.js and before the widget manager (embed-amd.js) on
// pages with widgets; see _config.yml.
//
// 1. The manager fetches its icon fonts relative to the URL RequireJS gives
//    its own module, "@jupyter-widgets/html-manager/dist/libembed-amd", which
//    by default is resolved against the page (a 404). Map that module path to
//    _static/html-manager/, where the fonts are.
// 2. ipywidgets 8 typesets widget labels through the MathJax 2 API
//    (MathJax.Hub.Queue); the book loads MathJax 3. Translate the call.
// 3. A slider's handle (role="slider", operable with the arrow keys) has no
//    accessible name: its description is a separate <label>. Name each
//    handle after its widget's description, as views appear.
// 4. An explorer's picture (an ipywidgets Image) has no alt attribute. Give
//    it one when it appears: the explorer's settings it was drawn with and
//    the explorer's message line ("diverged at step 51 ..."). On this static
//    page the picture never changes, so neither does its text.
(function () {
  var here = document.currentScript && document.currentScript.src;
  if (here) {
    var manager = here.replace(/[^/]*$/, "html-manager");
    window.__jupyter_widgets_assets_path__ = manager + "/";
    if (window.requirejs) {
      window.requirejs.config({paths: {"@jupyter-widgets/html-manager/dist": manager}});
    }
  }
  window.addEventListener("load", function () {
    var mj = window.MathJax;
    if (mj && !mj.Hub && mj.typesetPromise) {
      mj.Hub = {
        Queue: function () {
          for (var i = 0; i < arguments.length; i++) {
            var job = arguments[i];
            if (Array.isArray(job) && job[0] === "Typeset" && job[2]) {
              mj.typesetPromise([job[2]]);
            }
          }
        },
      };
    }
  });
  function nameSliders() {
    document.querySelectorAll(".widget-slider").forEach(function (w) {
      var label = w.querySelector(".widget-label");
      var name = label && label.textContent.trim();
      if (!name) return;
      w.querySelectorAll("[role=slider]:not([aria-label])").forEach(function (h) {
        h.setAttribute("aria-label", name);
      });
    });
  }
  function describePictures() {
    document.querySelectorAll("img.widget-image:not([alt])").forEach(function (img) {
      var box = img.closest(".widget-vbox") || img.parentElement;
      var settings = [];
      box.querySelectorAll(".widget-inline-hbox").forEach(function (control) {
        var label = control.querySelector(".widget-label");
        var name = label && label.textContent.trim();
        if (!name) return;
        var readout = control.querySelector(".widget-readout");
        var select = control.querySelector("select");
        var pressed = control.querySelector(".mod-active");
        var value = readout ? (readout.value || readout.textContent)
          : select ? select.options[select.selectedIndex].text
          : pressed ? pressed.textContent : "";
        settings.push(value ? name + " " + value.trim() : name);
      });
      var message = "";
      for (var e = img.nextElementSibling; e; e = e.nextElementSibling) {
        if (e.classList.contains("widget-html")) { message = e.textContent.trim(); break; }
      }
      img.setAttribute("alt", "Figure of the explorer" +
        (settings.length ? " at " + settings.join(", ") : "") +
        (message ? ": " + message : "") +
        ". The animation below shows it over a range of settings.");
    });
  }
  function repair() {
    nameSliders();
    describePictures();
  }
  new MutationObserver(repair).observe(document.documentElement,
                                       {childList: true, subtree: true});
})();
