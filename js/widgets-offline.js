// Loaded after require.js and before the widget manager (embed-amd.js) on
// pages with widgets; see _config.yml.
//
// 1. The manager fetches its icon fonts relative to the URL RequireJS gives
//    its own module, "@jupyter-widgets/html-manager/dist/libembed-amd", which
//    by default is resolved against the page (a 404). Map that module path to
//    _static/html-manager/, where the fonts are.
// 2. ipywidgets 8 typesets widget labels through the MathJax 2 API
//    (MathJax.Hub.Queue); the book loads MathJax 3. Translate the call.
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
})();
