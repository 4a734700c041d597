//! A custody graph drawn as SVG, on the server: firms in columns from where the lot began to
//! where it ended, shipments as arrows coloured by how they matched. Pure: labels in, SVG text
//! out; every label is escaped here, so the page may embed the result as it is.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write;

/// How an arrow is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Matched, or a documented trade with an outside party.
    Good,
    /// On the road, not yet due.
    Pending,
    /// A gap: unmatched, or a finding about it.
    Bad,
}

impl Tone {
    fn colour(self) -> &'static str {
        match self {
            Tone::Good => "#1b6e3a",
            Tone::Pending => "#0b5cad",
            Tone::Bad => "#b3261e",
        }
    }
}

/// A box: a firm (or an outside party) and the lines written in it.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub lines: Vec<String>,
    /// A finding is about this firm's entries of the lot.
    pub flagged: bool,
    /// An outside party (drawn with round corners).
    pub external: bool,
}

/// An arrow from one box to another, with its label.
#[derive(Debug, Clone)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
    pub tone: Tone,
}

const LINE_H: usize = 17;
/// Boxes and the gaps between columns grow with their text, within these bounds.
const MIN_NODE_W: usize = 180;
const MAX_NODE_W: usize = 460;
const MIN_GAP_X: usize = 90;
const MAX_GAP_X: usize = 360;
const GAP_Y: usize = 28;
const MARGIN: usize = 16;

/// Column of each node: the longest path to it from a node nothing flows into, ignoring the
/// arrows that close a cycle (goods returned to their seller).
pub fn columns(n: usize, edges: &[(usize, usize)]) -> Vec<usize> {
    let forward = forward_edges(n, edges);
    let mut indegree = vec![0_usize; n];
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in &forward {
        out[a].push(b);
        indegree[b] += 1;
    }
    let mut column = vec![0_usize; n];
    let mut ready: VecDeque<usize> = (0..n).filter(|&v| indegree[v] == 0).collect();
    while let Some(v) = ready.pop_front() {
        for &w in &out[v] {
            column[w] = column[w].max(column[v] + 1);
            indegree[w] -= 1;
            if indegree[w] == 0 {
                ready.push_back(w);
            }
        }
    }
    column
}

/// The edges without those that close a cycle (found by a depth-first walk), and without loops.
fn forward_edges(n: usize, edges: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut out: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        if a != b {
            out[a].push(b);
        }
    }
    // 0 unseen, 1 on the current path, 2 done.
    let mut state = vec![0_u8; n];
    let mut kept = Vec::new();
    for start in 0..n {
        if state[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0_usize)];
        state[start] = 1;
        while let Some(&mut (v, ref mut next)) = stack.last_mut() {
            if let Some(&w) = out[v].get(*next) {
                *next += 1;
                match state[w] {
                    0 => {
                        kept.push((v, w));
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    2 => kept.push((v, w)),
                    _ => {} // back to a node on the path: closes a cycle
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    kept
}

/// About how wide `text` is drawn at 13 px: CJK characters are square, others about half.
pub fn text_width(text: &str) -> usize {
    text.chars()
        .map(|c| if c.is_ascii() { 7 } else { 13 })
        .sum()
}

/// Sizes of one drawing: box width and gap between columns.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    node_w: usize,
    gap_x: usize,
}

impl Sizes {
    fn of(nodes: &[Node], edges: &[Edge]) -> Sizes {
        let widest = |texts: &mut dyn Iterator<Item = &String>| {
            texts.map(|t| text_width(t)).max().unwrap_or(0)
        };
        let node_w =
            (widest(&mut nodes.iter().flat_map(|n| &n.lines)) + 16).clamp(MIN_NODE_W, MAX_NODE_W);
        let gap_x = (widest(&mut edges.iter().map(|e| &e.label)) + 30).clamp(MIN_GAP_X, MAX_GAP_X);
        Sizes { node_w, gap_x }
    }
}

/// Escapes text for SVG (XML) content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The graph as a standalone SVG document with a title for screen readers.
pub fn render(title: &str, nodes: &[Node], edges: &[Edge]) -> String {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let pairs: Vec<(usize, usize)> = edges
        .iter()
        .filter_map(|e| Some((*index.get(e.from.as_str())?, *index.get(e.to.as_str())?)))
        .collect();
    let column = columns(nodes.len(), &pairs);
    let size = Sizes::of(nodes, edges);
    let height = |n: &Node| n.lines.len().max(1) * LINE_H + 14;
    let mut next_y = vec![MARGIN; column.iter().max().map_or(1, |c| c + 1)];
    let mut at = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        let c = column[i];
        at.push((MARGIN + c * (size.node_w + size.gap_x), next_y[c]));
        next_y[c] += height(n) + GAP_Y;
    }
    let width = MARGIN * 2 + next_y.len() * (size.node_w + size.gap_x) - size.gap_x;
    let total_h = next_y.iter().max().copied().unwrap_or(MARGIN) + MARGIN;
    let mut svg = String::new();
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 {width} {total_h}\" \
         width=\"{width}\" height=\"{total_h}\" font-size=\"13\" font-family=\"sans-serif\">\
         <title>{}</title>",
        escape(title)
    );
    svg.push_str("<defs>");
    for tone in [Tone::Good, Tone::Pending, Tone::Bad] {
        let _ = write!(
            svg,
            "<marker id=\"arrow-{}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" \
             markerHeight=\"8\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{}\"/></marker>",
            tone_name(tone),
            tone.colour()
        );
    }
    svg.push_str("</defs>");
    for e in edges {
        let (Some(&a), Some(&b)) = (index.get(e.from.as_str()), index.get(e.to.as_str())) else {
            continue;
        };
        draw_edge(
            &mut svg,
            e,
            size,
            (at[a], height(&nodes[a])),
            (at[b], height(&nodes[b])),
        );
    }
    for (i, n) in nodes.iter().enumerate() {
        draw_node(&mut svg, n, size.node_w, at[i], height(n));
    }
    svg.push_str("</svg>");
    svg
}

fn tone_name(tone: Tone) -> &'static str {
    match tone {
        Tone::Good => "good",
        Tone::Pending => "pending",
        Tone::Bad => "bad",
    }
}

type Placed = ((usize, usize), usize);

fn draw_edge(
    svg: &mut String,
    e: &Edge,
    size: Sizes,
    ((ax, ay), ah): Placed,
    ((bx, by), bh): Placed,
) {
    let (x1, y1) = (ax + size.node_w, ay + ah / 2);
    let (x2, y2) = (bx, by + bh / 2);
    // Forward arrows bend gently; an arrow back (or within a column) loops below the boxes.
    let path = if x2 > x1 {
        let mid = (x1 + x2) / 2;
        format!("M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}")
    } else {
        let low = ay.max(by) + ah.max(bh) + GAP_Y / 2;
        format!(
            "M{x1},{y1} C{},{low} {},{low} {x2},{y2}",
            x1 + 60,
            x2.saturating_sub(60)
        )
    };
    let dash = if e.tone == Tone::Bad {
        " stroke-dasharray=\"6 4\""
    } else {
        ""
    };
    let _ = write!(
        svg,
        "<g class=\"edge\"><path d=\"{path}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"{dash} \
         marker-end=\"url(#arrow-{})\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{}\">{}</text></g>",
        e.tone.colour(),
        tone_name(e.tone),
        (x1 + x2) / 2,
        (y1 + y2) / 2 - 6,
        e.tone.colour(),
        escape(&e.label)
    );
}

fn draw_node(svg: &mut String, n: &Node, node_w: usize, (x, y): (usize, usize), h: usize) {
    let stroke = if n.flagged { "#b3261e" } else { "#5b6875" };
    let width = if n.flagged { 3 } else { 1 };
    let rx = if n.external { 18 } else { 4 };
    let _ = write!(
        svg,
        "<g class=\"node{}\"><rect x=\"{x}\" y=\"{y}\" width=\"{node_w}\" height=\"{h}\" rx=\"{rx}\" \
         fill=\"#ffffff\" stroke=\"{stroke}\" stroke-width=\"{width}\"/>",
        if n.flagged { " flagged" } else { "" }
    );
    for (i, line) in n.lines.iter().enumerate() {
        let weight = if i == 0 { " font-weight=\"bold\"" } else { "" };
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\"{weight}>{}</text>",
            x + 8,
            y + 18 + i * LINE_H,
            escape(line)
        );
    }
    svg.push_str("</g>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn node(id: &str, name: &str) -> Node {
        Node {
            id: id.into(),
            lines: vec![name.into(), "in 10 / out 5".into()],
            flagged: false,
            external: false,
        }
    }

    #[test]
    fn goods_flow_left_to_right_and_a_return_does_not_move_its_seller() {
        // maker → trader → user, and the user returns to the trader.
        let c = columns(3, &[(0, 1), (1, 2), (2, 1)]);
        assert_eq!(c, vec![0, 1, 2]);
        assert_eq!(columns(2, &[]), vec![0, 0]);
        assert_eq!(columns(2, &[(0, 0), (0, 1)]), vec![0, 1]);
    }

    #[test]
    fn labels_are_escaped_and_every_box_and_arrow_is_drawn() {
        let nodes = vec![
            node("a", "<script>alert(1)</script>"),
            node("b", "福安 & Co"),
        ];
        let edges = vec![Edge {
            from: "a".into(),
            to: "b".into(),
            label: "10 kg \"x\"".into(),
            tone: Tone::Bad,
        }];
        let svg = render("lot <L1>", &nodes, &edges);
        assert!(!svg.contains("<script"));
        assert!(svg.contains("&lt;script&gt;") && svg.contains("福安 &amp; Co"));
        assert!(svg.contains("<title>lot &lt;L1&gt;</title>"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert_eq!(svg.matches("class=\"edge\"").count(), 1);
        assert!(svg.contains("stroke-dasharray"));
    }

    proptest! {
        /// Every arrow that does not close a cycle points to a later column; the document has
        /// one box per node, one arrow per edge between known nodes, and balanced tags.
        #[test]
        fn arrows_point_forward_and_the_document_is_whole(
            n in 1_usize..12,
            raw in proptest::collection::vec((0_usize..12, 0_usize..12), 0..30),
            name in ".{0,20}",
        ) {
            let pairs: Vec<(usize, usize)> = raw.into_iter().map(|(a, b)| (a % n, b % n)).collect();
            let c = columns(n, &pairs);
            for (a, b) in forward_edges(n, &pairs) {
                prop_assert!(c[b] > c[a]);
            }
            let nodes: Vec<Node> = (0..n).map(|i| node(&i.to_string(), &name)).collect();
            let edges: Vec<Edge> = pairs.iter().map(|(a, b)| Edge {
                from: a.to_string(), to: b.to_string(), label: name.clone(), tone: Tone::Good,
            }).collect();
            let svg = render(&name, &nodes, &edges);
            prop_assert_eq!(svg.matches("<rect").count(), n);
            prop_assert_eq!(svg.matches("class=\"edge\"").count(), edges.len());
            prop_assert_eq!(svg.matches("<g").count(), svg.matches("</g>").count());
            prop_assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
            let escaped = escape(&name);
            prop_assert!(!escaped.contains('<') && !escaped.contains('"'));
        }
    }
}
