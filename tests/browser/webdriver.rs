//! Just enough of the W3C WebDriver protocol to drive headless Chromium through chromedriver:
//! sessions, navigation, elements, screenshots. Blocking, over the `ureq` the tests already use.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

/// The W3C web element identifier.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Where the browser and its driver are, if they are installed.
fn find(candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

/// chromedriver running on a free port, stopped when dropped.
pub struct Driver {
    child: Child,
    base: String,
    chromium: String,
}

impl Driver {
    /// The driver, or why there is none (the caller skips or fails, as `REQUIRE_BROWSER` says).
    pub fn start() -> Result<Driver, String> {
        let driver = find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])
            .ok_or("chromedriver is not installed (apt-get install chromium-driver)")?;
        let chromium = find(&["/usr/bin/chromium", "/usr/lib/chromium/chromium"])
            .ok_or("chromium is not installed (apt-get install chromium)")?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("chromedriver did not start: {e}"))?;
        let d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            chromium,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if ureq::get(&format!("{}/status", d.base)).call().is_ok() {
                return Ok(d);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err("chromedriver did not answer within 20 s".into())
    }

    /// A fresh headless browser (its own profile: no cookies) preferring `lang`.
    pub fn browser(&self, lang: &str) -> Browser {
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": self.chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,900", format!("--lang={lang}")],
                "prefs": {"intl.accept_languages": lang},
            }
        }}});
        let v = call("POST", &format!("{}/session", self.base), Some(caps));
        let id = v["sessionId"]
            .as_str()
            .expect("a WebDriver session")
            .to_string();
        Browser {
            session: format!("{}/session/{id}", self.base),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn call(method: &str, url: &str, body: Option<Value>) -> Value {
    try_call(method, url, body).unwrap_or_else(|e| panic!("{e}"))
}

fn try_call(method: &str, url: &str, body: Option<Value>) -> Result<Value, String> {
    let req = ureq::request(method, url).timeout(Duration::from_secs(60));
    let result = match body {
        Some(b) => req.send_json(b),
        None => req.call(),
    };
    let text = match result {
        Ok(r) => r.into_string().unwrap_or_default(),
        Err(ureq::Error::Status(code, r)) => {
            return Err(format!(
                "WebDriver {method} {url}: {code} {}",
                r.into_string().unwrap_or_default()
            ))
        }
        Err(e) => return Err(format!("WebDriver {method} {url}: {e}")),
    };
    let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(v.get("value").cloned().unwrap_or(Value::Null))
}

/// One browser window.
pub struct Browser {
    session: String,
}

pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Browser {
    fn cmd(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        call(method, &format!("{}{path}", self.session), body)
    }

    pub fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(json!({ "url": url })));
    }

    pub fn back(&self) {
        self.cmd("POST", "/back", Some(json!({})));
    }

    pub fn url(&self) -> String {
        self.cmd("GET", "/url", None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    pub fn source(&self) -> String {
        self.cmd("GET", "/source", None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The value of the browser's cookie `name` for the current page, if it has one (to fetch
    /// what the browser would download, as the signed-in user).
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url = format!("{}/cookie/{name}", self.session);
        let v = try_call("GET", &url, None).ok()?;
        v["value"].as_str().map(str::to_string)
    }

    /// Runs `script` in the page (WebDriver's own channel, not subject to the page's CSP).
    pub fn execute(&self, script: &str) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
    }

    /// The text the user sees on the page (retried while a navigation replaces the page).
    pub fn text(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(body) = self.try_find("body") {
                let url = format!("{}/element/{}/text", self.session, body.id);
                if let Ok(v) = try_call("GET", &url, None) {
                    return v.as_str().unwrap_or("").to_string();
                }
            }
            if Instant::now() > deadline {
                panic!("no text on {}", self.url());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The element, waiting up to 10 s for it (a click's navigation may still be under way).
    pub fn find(&self, css: &str) -> Element<'_> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(e) = self.try_find(css) {
                return e;
            }
            if Instant::now() > deadline {
                panic!("no element {css} on {}:\n{}", self.url(), self.source());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits up to 10 s for `done` to hold (after a click that navigates).
    pub fn wait_until(&self, what: &str, done: impl Fn(&Browser) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done(self) {
            if Instant::now() > deadline {
                panic!(
                    "{what} did not happen; at {}:\n{}",
                    self.url(),
                    self.source()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The text of the element, if it is there and still there when read (inside a
    /// `wait_until`, where the page may be replaced between the two).
    pub fn text_of(&self, css: &str) -> Option<String> {
        let e = self.try_find(css)?;
        let url = format!("{}/element/{}/text", self.session, e.id);
        try_call("GET", &url, None)
            .ok()
            .map(|v| v.as_str().unwrap_or("").to_string())
    }

    pub fn try_find(&self, css: &str) -> Option<Element<'_>> {
        let url = format!("{}/element", self.session);
        let response = ureq::post(&url).send_json(json!({"using": "css selector", "value": css}));
        let v: Value = response.ok()?.into_json().ok()?;
        let id = v["value"][ELEMENT].as_str()?.to_string();
        Some(Element { browser: self, id })
    }

    /// Saves a screenshot under `target/screenshots/<name>.png` for a reviewer.
    pub fn screenshot(&self, name: &str) {
        let data = self.cmd("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(data.as_str().unwrap_or(""))
            .expect("a PNG screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = ureq::delete(&self.session).call();
    }
}

impl Element<'_> {
    fn cmd(&self, method: &str, what: &str, body: Option<Value>) -> Value {
        self.browser
            .cmd(method, &format!("/element/{}{what}", self.id), body)
    }

    pub fn click(&self) {
        self.cmd("POST", "/click", Some(json!({})));
    }

    pub fn clear(&self) {
        self.cmd("POST", "/clear", Some(json!({})));
    }

    pub fn type_text(&self, text: &str) {
        self.cmd("POST", "/value", Some(json!({ "text": text })));
    }

    pub fn text(&self) -> String {
        self.cmd("GET", "/text", None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }

    /// The current value of a property such as `value` (what the field holds now).
    pub fn attribute(&self, name: &str) -> String {
        self.cmd("GET", &format!("/property/{name}"), None)
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}
