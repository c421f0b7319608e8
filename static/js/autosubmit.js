// A page behind an emailed link (👍, 👎, mute) submits its form as soon as a person opens it:
// mail scanners fetch links without running scripts, so they never record anything. Without
// JavaScript the form's button does the same.
document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
  form.querySelector("button").disabled = true;
  form.submit();
});
