import assert from "node:assert/strict";
import { test } from "node:test";
import type { RouteConfig } from "../config/schema.js";
import { defaultRouteName, RouteTable } from "./table.js";

const route = (match: RouteConfig["match"], name?: string): RouteConfig => ({ name, match, candidate_weight: 0 });

test("routes match on headers and query: exact, regex (whole value), present/absent, first match wins", () => {
  const table = new RouteTable([
    route({ path: "/events", headers: { Accept: "text/event-stream" } }, "sse"),
    route({ path: "/socket.io/*", query: { EIO: "4", transport: "polling" } }, "eio4-polling"),
    route({ path: "/socket.io/*", query: { EIO: { regex: "[34]" }, sid: { present: false } } }, "eio-open"),
    route({ path: "/api/*", headers: { "x-api-version": { regex: "2(\\.\\d+)?" } } }, "v2"),
    route({ path: "/api/*", headers: { "x-api-version": { present: true } } }, "versioned"),
    route({ path: "/*" }, "rest"),
  ]);
  const name = (path: string, headers: Record<string, string> = {}, query = ""): string | undefined =>
    table.match("GET", path, { headers, query })?.route.name;
  assert.equal(name("/events", { accept: "text/event-stream" }), "sse");
  assert.equal(name("/events", { accept: "application/json" }), "rest");
  assert.equal(name("/events"), "rest");
  assert.equal(table.match("GET", "/events")?.route.name, "rest", "no request view: conditions never hold");
  assert.equal(name("/socket.io/", {}, "?EIO=4&transport=polling&t=x"), "eio4-polling");
  assert.equal(name("/socket.io/", {}, "?EIO=4&transport=websocket"), "eio-open");
  assert.equal(name("/socket.io/", {}, "?EIO=3&transport=websocket&sid=a"), "rest");
  assert.equal(name("/socket.io/", {}, "?EIO=45&transport=websocket"), "rest", "regex is anchored");
  assert.equal(name("/socket.io/", {}, "?transport=polling&EIO=4"), "eio4-polling", "any order");
  assert.equal(name("/socket.io/", {}, "?EIO=%34&transport=polling"), "eio4-polling", "values decoded");
  assert.equal(name("/api/x", { "x-api-version": "2.1" }), "v2");
  assert.equal(name("/api/x", { "x-api-version": "12" }), "versioned");
  assert.equal(name("/api/x", { "x-api-version": "" }), "versioned");
  assert.equal(name("/api/x"), "rest");
});

test("default names of routes with conditions tell them apart", () => {
  assert.equal(defaultRouteName(route({ path: "/events" })), "* /events");
  assert.equal(
    defaultRouteName(
      route({
        path: "/s/*",
        methods: ["GET"],
        headers: { Accept: "text/event-stream" },
        query: { sid: { present: true } },
      }),
    ),
    "GET /s/* [accept: text/event-stream, ?sid=(present)]",
  );
});
