import { render } from "preact";
import { App } from "./app";
import "./styles/base.css";
import "./styles/controls.css";
import "./styles/tables.css";
import "./styles/findings.css";
import "./styles/rollout.css";

const root = document.getElementById("app");
if (root) render(<App />, root);
