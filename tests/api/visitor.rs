//! A client that speaks to the console as a browser without JavaScript would: it keeps
//! cookies, does not follow redirects, sends forms (urlencoded or multipart).

use std::collections::BTreeMap;

use crate::helpers::TestApp;

/// A client that keeps cookies and does not follow redirects.
pub struct Visitor {
    base: String,
    agent: ureq::Agent,
    pub cookies: BTreeMap<String, String>,
    accept_language: &'static str,
}

pub struct Page {
    pub status: u16,
    pub text: String,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub csp: Option<String>,
    pub cache_control: Option<String>,
}

impl Page {
    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        let at = self
            .text
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token");
        let rest = &self.text[at + 19..];
        rest[..rest.find('"').unwrap()].to_string()
    }

    /// The value of the hidden field `name`.
    pub fn hidden(&self, name: &str) -> String {
        let needle = format!("name=\"{name}\" value=\"");
        let at = self
            .text
            .find(&needle)
            .unwrap_or_else(|| panic!("no field {name}"));
        let rest = &self.text[at + needle.len()..];
        unescape(&rest[..rest.find('"').unwrap()])
    }

    /// The contents of the textarea `name`, as the browser would send them.
    pub fn textarea(&self, name: &str) -> String {
        let at = self
            .text
            .find(&format!("name=\"{name}\""))
            .unwrap_or_else(|| panic!("no {name}"));
        let rest = &self.text[at..];
        let rest = &rest[rest.find('>').unwrap() + 1..];
        unescape(&rest[..rest.find("</textarea>").unwrap()])
    }

    pub fn cookie(&self, name: &str) -> Option<&String> {
        self.set_cookies
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }
}

impl Visitor {
    pub fn new(app: &TestApp, accept_language: &'static str) -> Visitor {
        Visitor::at(&app.base, accept_language)
    }

    /// A visitor of the server at `base` (one of several app servers, say).
    pub fn at(base: &str, accept_language: &'static str) -> Visitor {
        Visitor {
            base: base.to_string(),
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            cookies: BTreeMap::new(),
            accept_language,
        }
    }

    /// The same visitor (its cookies) speaking to the server at `base`.
    pub fn moved_to(self, base: &str) -> Visitor {
        Visitor {
            base: base.to_string(),
            ..self
        }
    }

    pub fn send(&mut self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let req = self.request(method, path);
        let result = match form {
            Some(fields) => req.send_form(fields),
            None => req.call(),
        };
        self.receive(method, path, result)
    }

    fn send_body(&mut self, path: &str, content_type: &str, body: &[u8]) -> Page {
        let req = self.request("POST", path).set("Content-Type", content_type);
        let result = req.send_bytes(body);
        self.receive("POST", path, result)
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let cookie = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        self.agent
            .request(method, &format!("{}{path}", self.base))
            .set("Accept", "text/html")
            .set("Accept-Language", self.accept_language)
            .set("Cookie", &cookie)
    }

    fn receive(
        &mut self,
        method: &str,
        path: &str,
        result: Result<ureq::Response, ureq::Error>,
    ) -> Page {
        let response = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{method} {path}: {e}"),
        };
        let set_cookies: Vec<String> = response
            .all("set-cookie")
            .into_iter()
            .map(str::to_string)
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        Page {
            status: response.status(),
            location: response.header("location").map(str::to_string),
            csp: response
                .header("content-security-policy")
                .map(str::to_string),
            cache_control: response.header("cache-control").map(str::to_string),
            set_cookies,
            text: response.into_string().unwrap_or_default(),
        }
    }

    /// A GET as a download link is followed: (status, content type, raw bytes).
    pub fn download(&mut self, path: &str) -> (u16, String, Vec<u8>) {
        let response = match self.request("GET", path).call() {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("GET {path}: {e}"),
        };
        let status = response.status();
        let content_type = response.header("content-type").unwrap_or("").to_string();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut response.into_reader(), &mut body).unwrap();
        (status, content_type, body)
    }

    pub fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None)
    }

    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send("POST", path, Some(form))
    }

    /// A `multipart/form-data` POST of text fields and one file field `(name, filename, bytes)`.
    pub fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &[u8]),
    ) -> Page {
        let boundary = "----precursor-test-boundary-7d1f";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        let (name, filename, bytes) = file;
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.send_body(
            path,
            &format!("multipart/form-data; boundary={boundary}"),
            &body,
        )
    }

    pub fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/sign-in");
        let csrf = form.csrf();
        self.post(
            "/sign-in",
            &[
                ("csrf", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
    }
}

/// What askama's HTML escaping does, undone.
fn unescape(text: &str) -> String {
    text.replace("&#43;", "+")
        .replace("&#x2b;", "+")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#60;", "<")
        .replace("&#62;", ">")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}
