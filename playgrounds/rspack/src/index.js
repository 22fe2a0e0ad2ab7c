import { greeting } from "./greeting.js";

const paragraph = document.createElement("p");
paragraph.id = "greeting";
document.body.append(paragraph);
const render = (text) => {
  paragraph.textContent = text;
};
render(greeting);

// Hot module replacement: an edit of greeting.js updates the text in place, without a reload.
if (import.meta.webpackHot) {
  import.meta.webpackHot.accept("./greeting.js", () => render(greeting));
}
