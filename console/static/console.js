// verdict console: small keyboard helpers. Every page works without it.
// "/" focuses the first search or text field of the page.
document.addEventListener("keydown", function (e) {
  if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
  var t = e.target;
  if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) return;
  var f = document.querySelector("main input:not([type=hidden]), main textarea");
  if (f) { e.preventDefault(); f.focus(); }
});
