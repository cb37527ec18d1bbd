// The print page's "Print" button (no inline scripts: the CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("sales-print-button");
  if (button) button.addEventListener("click", () => window.print());
});
