//! A stub AWS endpoint on 127.0.0.1 (`AWS_ENDPOINT_URL`) answering each operation with a
//! canned body: AWS Config's JSON protocol (`X-Amz-Target`), and CloudWatch's, which this SDK
//! version sends as Smithy RPC v2 CBOR (`POST /service/GraniteServiceVersion20100801/operation/<Name>`,
//! `application/cbor`); and the `role-audit` binary run against it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

/// Operation name (X-Amz-Target without the service prefix, or the path's last segment for
/// CBOR) -> (HTTP status, body as JSON; for CBOR, `{"$epoch": n}` is a timestamp).
pub type Answers = HashMap<&'static str, (u16, Value)>;

/// What the stub was sent.
#[derive(Debug, Clone)]
pub struct Request {
    pub operation: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// A stub AWS endpoint; records the operations it was asked, in order.
pub struct Stub {
    pub url: String,
    pub asked: Arc<Mutex<Vec<String>>>,
    pub requests: Arc<Mutex<Vec<Request>>>,
}

pub fn stub(answers: Answers) -> Stub {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let asked: Arc<Mutex<Vec<String>>> = Arc::default();
    let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
    let (log, sent) = (Arc::clone(&asked), Arc::clone(&requests));
    let answers = Arc::new(answers);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let (log, sent, answers) = (Arc::clone(&log), Arc::clone(&sent), Arc::clone(&answers));
            std::thread::spawn(move || serve(stream, &log, &sent, &answers));
        }
    });
    Stub {
        url,
        asked,
        requests,
    }
}

/// CBOR (RFC 8949) of a JSON value, enough for the stub's answers.
fn cbor(value: &Value, out: &mut Vec<u8>) {
    fn head(major: u8, n: u64, out: &mut Vec<u8>) {
        let m = major << 5;
        match n {
            0..=23 => out.push(m | n as u8),
            24..=0xff => out.extend([m | 24, n as u8]),
            0x100..=0xffff => {
                out.push(m | 25);
                out.extend((n as u16).to_be_bytes());
            }
            0x1_0000..=0xffff_ffff => {
                out.push(m | 26);
                out.extend((n as u32).to_be_bytes());
            }
            _ => {
                out.push(m | 27);
                out.extend(n.to_be_bytes());
            }
        }
    }
    match value {
        Value::Null => out.push(0xf6),
        Value::Bool(b) => out.push(if *b { 0xf5 } else { 0xf4 }),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => head(0, u, out),
            (None, Some(i)) => head(1, (-1 - i) as u64, out),
            _ => {
                out.push(0xfb);
                out.extend(n.as_f64().unwrap().to_be_bytes());
            }
        },
        Value::String(text) => {
            head(3, text.len() as u64, out);
            out.extend(text.as_bytes());
        }
        Value::Array(items) => {
            head(4, items.len() as u64, out);
            items.iter().for_each(|v| cbor(v, out));
        }
        Value::Object(map) => match map.get("$epoch") {
            Some(epoch) => {
                head(6, 1, out); // tag 1: epoch-based date/time
                cbor(epoch, out);
            }
            None => {
                head(5, map.len() as u64, out);
                for (key, v) in map {
                    cbor(&Value::String(key.clone()), out);
                    cbor(v, out);
                }
            }
        },
    }
}

/// Answers requests on one kept-alive connection until the client closes it.
fn serve(
    stream: std::net::TcpStream,
    log: &Mutex<Vec<String>>,
    sent: &Mutex<Vec<Request>>,
    answers: &Answers,
) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let mut target = String::new();
        let mut content_type = String::new();
        let mut length = 0usize;
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or_default().to_owned();
        loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let header = line.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.to_ascii_lowercase().as_str() {
                    "x-amz-target" => target = value.trim().to_owned(),
                    "content-type" => content_type = value.trim().to_owned(),
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let is_cbor = content_type == "application/cbor";
        let operation = if is_cbor {
            path.rsplit('/').next().unwrap_or_default().to_owned()
        } else {
            target.rsplit('.').next().unwrap_or_default().to_owned()
        };
        log.lock().unwrap().push(operation.clone());
        sent.lock().unwrap().push(Request {
            operation: operation.clone(),
            content_type,
            body: body.clone(),
        });
        let (status, answer) = answers.get(operation.as_str()).cloned().unwrap_or((
            400,
            json!({"__type": "InvalidAction", "message": format!("the stub has no answer for {operation}")}),
        ));
        let (headers, bytes) = if is_cbor {
            let mut bytes = Vec::new();
            cbor(&answer, &mut bytes);
            (
                "Content-Type: application/cbor\r\nsmithy-protocol: rpc-v2-cbor",
                bytes,
            )
        } else {
            (
                "Content-Type: application/x-amz-json-1.1",
                answer.to_string().into_bytes(),
            )
        };
        let head = format!(
            "HTTP/1.1 {status} X\r\n{headers}\r\nContent-Length: {}\r\n\r\n",
            bytes.len()
        );
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&bytes).is_err() {
            return;
        }
    }
}

/// Runs the `role-audit` binary against `stub`, with nothing of the caller's environment but
/// `PATH`, and one attempt per request.
pub fn role_audit(stub: &Stub, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_role-audit"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_ENDPOINT_URL", &stub.url)
        .env("AWS_REGION", "eu-west-1")
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .env("SDK_MAX_ATTEMPTS", "1")
        .output()
        .unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// `answers`, with `operation` answered by `answer`.
pub fn answering(mut answers: Answers, operation: &'static str, answer: (u16, Value)) -> Answers {
    answers.insert(operation, answer);
    answers
}

/// An error as the JSON protocols send it: HTTP 400 with `__type` and `message`.
pub fn refusal(code: &str, message: &str) -> (u16, Value) {
    (400, json!({"__type": code, "message": message}))
}
