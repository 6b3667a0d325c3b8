// verdict console: small keyboard helpers. Every page works without them.
//   "/" focuses the page's first search or text field;
//   a single letter clicks the element marked data-key="<letter>" (the review
//   page: c claim, a allow, d deny, n next).
// Keys typed into a field are the field's, never a shortcut.
document.addEventListener("keydown", function (e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  var t = e.target;
  if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
  if (e.key === "/") {
    var f = document.querySelector("main input:not([type=hidden]), main textarea");
    if (f) { e.preventDefault(); f.focus(); }
    return;
  }
  if (!/^[a-z]$/.test(e.key)) return;
  var el = document.querySelector('[data-key="' + e.key + '"]');
  if (el) { e.preventDefault(); el.click(); }
});
