// Destructive actions ask first: a button with data-confirm (every .danger button has one)
// submits its form only when the person confirms. Without JavaScript the form submits as is;
// the service behind it still checks who may and why.
"use strict";
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
