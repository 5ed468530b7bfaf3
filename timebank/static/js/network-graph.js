/* The reports' network picture, drawn with Cytoscape.js (static/vendor/, installed from
   npm by scripts/ensure-frontend.sh). The data is the page's JSON block
   #network-graph-data: nodes coloured (and shaped) by kind, edges as wide as their
   hours, returned ties solid and one-way ties dashed. A partner's picture carries no
   labels at all. The picture is for looking at: the table beside it lists the same
   ties for keyboards and screen readers, so the canvas takes no focus and does not
   catch the page's scrolling. */
(function () {
  "use strict";
  var container = document.getElementById("network-graph");
  var source = document.getElementById("network-graph-data");
  if (!container || !source || typeof window.cytoscape !== "function") {
    return;
  }
  // Cytoscape.js adds a <style> element of its own (position: relative for its
  // container) unless an element with this id is already in the page. The page's
  // Content-Security-Policy refuses inline styles, and site.css gives .network-graph
  // that position, so a marker stands in for it.
  if (!document.getElementById("__________cytoscape_stylesheet")) {
    var marker = document.createElement("meta");
    marker.id = "__________cytoscape_stylesheet";
    document.head.appendChild(marker);
  }
  var data = JSON.parse(source.textContent);
  var labels = container.getAttribute("data-labels") === "yes";
  var colours = {
    participant: "#005a9c",
    professional: "#a04a00",
    member: "#4a4a4a",
    organisation: "#2e7d32",
    pot: "#6a1b9a"
  };
  var shapes = {
    participant: "ellipse",
    professional: "diamond",
    member: "ellipse",
    organisation: "round-rectangle",
    pot: "hexagon"
  };
  var heaviest = 1;
  data.edges.forEach(function (edge) {
    heaviest = Math.max(heaviest, edge.data.weight);
  });
  var style = [
    {
      selector: "node",
      style: {
        "background-color": function (node) { return colours[node.data("kind")] || "#4a4a4a"; },
        shape: function (node) { return shapes[node.data("kind")] || "ellipse"; },
        width: 16,
        height: 16,
        "border-width": 2,
        "border-color": "#ffffff"
      }
    },
    {
      selector: "node[broker]",
      style: { width: 30, height: 30, "border-width": 5, "border-color": "#1b1b1b" }
    },
    {
      selector: "edge",
      style: {
        width: function (edge) { return 0.75 + 3 * edge.data("weight") / heaviest; },
        "arrow-scale": 0.7,
        "line-color": "#6b6b6b",
        "target-arrow-color": "#6b6b6b",
        "target-arrow-shape": "triangle",
        "curve-style": "bezier",
        "line-style": "dashed",
        opacity: 0.8
      }
    },
    {
      selector: "edge[?reciprocated]",
      style: { "line-color": "#1b1b1b", "target-arrow-color": "#1b1b1b", "line-style": "solid" }
    },
    {
      selector: "edge[!time]",
      style: { "line-color": "#6a1b9a", "target-arrow-color": "#6a1b9a", "line-style": "dotted" }
    }
  ];
  if (labels) {
    style.push({
      selector: "node[label]",
      style: {
        label: "data(label)",
        "font-size": 10,
        color: "#1b1b1b",
        "text-valign": "bottom",
        "text-margin-y": 3,
        "text-background-color": "#ffffff",
        "text-background-opacity": 0.8,
        "text-max-width": 90,
        "text-wrap": "ellipsis"
      }
    });
  }
  var graph = window.cytoscape({
    container: container,
    elements: data.nodes.concat(data.edges),
    style: style,
    layout: {
      name: "cose",
      animate: false,
      nodeDimensionsIncludeLabels: labels,
      padding: 10,
      idealEdgeLength: function () { return 70; },
      nodeRepulsion: function () { return 9000; }
    },
    userZoomingEnabled: false,
    userPanningEnabled: false,
    boxSelectionEnabled: false,
    autoungrabify: true,
    autounselectify: true
  });
  graph.fit(undefined, 10);
  container.setAttribute("data-drawn", "yes");
  // For the real-browser tests: what was drawn (never more than the page's own data).
  window.timebankNetworkGraph = graph;
})();
