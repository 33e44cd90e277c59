//! JSON-RPC 2.0 request decoding and response rendering.

use serde::Serialize;
use serde_json::Value;

use crate::wire::DataFormat;

/// JSON-RPC error codes.
pub(crate) mod code {
    /// The frame is not valid JSON.
    pub const PARSE_ERROR: i64 = -32700;
    /// The JSON is not a valid request.
    pub const INVALID_REQUEST: i64 = -32600;
    /// The method does not exist.
    pub const METHOD_NOT_FOUND: i64 = -32601;
    /// The params are invalid.
    pub const INVALID_PARAMS: i64 = -32602;
    /// The client sent requests faster than its budget allows.
    pub const RATE_LIMITED: i64 = -32005;
}

/// The most feature names one `setRequiredFeatures` may carry.
pub(crate) const MAX_FEATURES: usize = 1024;
/// The longest feature name accepted.
pub(crate) const MAX_NAME_LEN: usize = 256;

/// A decoded request.
#[derive(Debug, PartialEq)]
pub(crate) enum Request {
    SetRequiredFeatures {
        features: Vec<String>,
        format: DataFormat,
        source: Option<String>,
    },
    Resume {
        features: Vec<String>,
        format: DataFormat,
        epoch: String,
        since: u64,
        source: Option<String>,
    },
    GetInfo,
    GetFeatures,
    GetRunningGameInfo,
    ListSources,
}

/// A request that could not be decoded: the id (if one was read) and the error.
#[derive(Debug, PartialEq)]
pub(crate) struct RpcError {
    pub id: Value,
    pub code: i64,
    pub message: String,
}

fn err(id: &Value, code: i64, message: impl Into<String>) -> RpcError {
    RpcError {
        id: id.clone(),
        code,
        message: message.into(),
    }
}

/// Decodes one text frame into `(id, request)`.
pub(crate) fn decode(text: &str) -> Result<(Value, Request), RpcError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| err(&Value::Null, code::PARSE_ERROR, format!("parse error: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err(err(
            &Value::Null,
            code::INVALID_REQUEST,
            "a request must be a JSON object",
        ));
    };
    let id = match obj.remove("id") {
        Some(id @ (Value::String(_) | Value::Number(_))) => id,
        Some(_) => {
            return Err(err(
                &Value::Null,
                code::INVALID_REQUEST,
                "id must be a string or a number",
            ))
        }
        None => return Err(err(&Value::Null, code::INVALID_REQUEST, "id is required")),
    };
    if let Some(unknown) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "jsonrpc" | "method" | "params"))
    {
        let shown: String = unknown.chars().take(64).collect();
        return Err(err(
            &id,
            code::INVALID_REQUEST,
            format!("unknown member {shown:?}"),
        ));
    }
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(err(&id, code::INVALID_REQUEST, "jsonrpc must be \"2.0\""));
    }
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        return Err(err(&id, code::INVALID_REQUEST, "method must be a string"));
    };
    let params = obj.get("params");
    let request = match method {
        "setRequiredFeatures" => set_required_features(&id, params, false)?,
        "resume" => set_required_features(&id, params, true)?,
        "getInfo" => no_params(&id, params, Request::GetInfo)?,
        "getFeatures" => no_params(&id, params, Request::GetFeatures)?,
        "getRunningGameInfo" => no_params(&id, params, Request::GetRunningGameInfo)?,
        "listSources" => no_params(&id, params, Request::ListSources)?,
        other => {
            let shown: String = other.chars().take(64).collect();
            return Err(err(
                &id,
                code::METHOD_NOT_FOUND,
                format!("unknown method {shown:?}"),
            ));
        }
    };
    Ok((id, request))
}

fn no_params(id: &Value, params: Option<&Value>, request: Request) -> Result<Request, RpcError> {
    match params {
        None => Ok(request),
        Some(Value::Object(o)) if o.is_empty() => Ok(request),
        Some(_) => Err(err(
            id,
            code::INVALID_PARAMS,
            "this method takes no params: omit them or send {}",
        )),
    }
}

/// Decodes `setRequiredFeatures` params, or `resume` params (the same plus
/// `epoch` and `since`).
fn set_required_features(
    id: &Value,
    params: Option<&Value>,
    resume: bool,
) -> Result<Request, RpcError> {
    let invalid = |m: &str| err(id, code::INVALID_PARAMS, m);
    let Some(Value::Object(params)) = params else {
        return Err(invalid("params must be an object with a features array"));
    };
    // Unknown params are refused, so a client using a newer optional param
    // against an older broker gets a clear error rather than silent misbehaviour.
    if let Some(unknown) = params.keys().find(|k| {
        !(matches!(k.as_str(), "features" | "dataFormat" | "source")
            || resume && matches!(k.as_str(), "epoch" | "since"))
    }) {
        let shown: String = unknown.chars().take(64).collect();
        return Err(invalid(&format!("unknown param {shown:?}")));
    }
    let Some(Value::Array(list)) = params.get("features") else {
        return Err(invalid("features must be an array of strings"));
    };
    if list.len() > MAX_FEATURES {
        return Err(invalid("too many features (at most 1024)"));
    }
    let mut features = Vec::with_capacity(list.len());
    for item in list {
        match item {
            Value::String(s) if s.len() <= MAX_NAME_LEN => features.push(s.clone()),
            Value::String(_) => return Err(invalid("a feature name is longer than 256 bytes")),
            _ => return Err(invalid("features must be an array of strings")),
        }
    }
    let format = match params.get("dataFormat") {
        None | Some(Value::Null) => DataFormat::String,
        Some(Value::String(s)) if s == "string" => DataFormat::String,
        Some(Value::String(s)) if s == "object" => DataFormat::Object,
        Some(_) => return Err(invalid("dataFormat must be \"string\" or \"object\"")),
    };
    let source = match params.get("source") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            crate::validate_source_id(s).map_err(|e| invalid(&e.to_string()))?;
            Some(s.clone())
        }
        Some(_) => {
            return Err(invalid(
                "source must be a source id string (see listSources)",
            ))
        }
    };
    if !resume {
        return Ok(Request::SetRequiredFeatures {
            features,
            format,
            source,
        });
    }
    let Some(epoch) = params.get("epoch").and_then(Value::as_str) else {
        return Err(invalid(
            "epoch must be the string from a setRequiredFeatures or resume result",
        ));
    };
    let Some(since) = params.get("since").and_then(Value::as_u64) else {
        return Err(invalid(
            "since must be the seq of the last notification received (an integer >= 0)",
        ));
    };
    Ok(Request::Resume {
        features,
        format,
        epoch: epoch.chars().take(128).collect(),
        since,
        source,
    })
}

/// Renders a success response.
pub(crate) fn result<T: Serialize>(id: &Value, result: &T) -> String {
    #[derive(Serialize)]
    struct Response<'a, T> {
        jsonrpc: &'static str,
        id: &'a Value,
        result: &'a T,
    }
    serde_json::to_string(&Response {
        jsonrpc: "2.0",
        id,
        result,
    })
    .unwrap_or_default()
}

/// Renders an error response.
pub(crate) fn error(e: &RpcError) -> String {
    serde_json::json!({
        "jsonrpc": "2.0",
        "id": e.id,
        "error": { "code": e.code, "message": e.message },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_and_rejects() {
        let (id, r) = decode(r#"{"jsonrpc":"2.0","id":1,"method":"setRequiredFeatures","params":{"features":["kill"],"dataFormat":"object"}}"#)
            .expect("valid");
        assert_eq!(id, json!(1));
        assert_eq!(
            r,
            Request::SetRequiredFeatures {
                features: vec!["kill".into()],
                format: DataFormat::Object,
                source: None,
            }
        );
        let code_of = |t: &str| decode(t).map(|_| 0).unwrap_or_else(|e| e.code);
        assert_eq!(code_of("{"), code::PARSE_ERROR);
        assert_eq!(code_of("[1]"), code::INVALID_REQUEST);
        assert_eq!(
            code_of(r#"{"jsonrpc":"2.0","method":"getInfo"}"#),
            code::INVALID_REQUEST
        );
        assert_eq!(
            code_of(r#"{"jsonrpc":"1.0","id":1,"method":"getInfo"}"#),
            code::INVALID_REQUEST
        );
        assert_eq!(
            code_of(r#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#),
            code::METHOD_NOT_FOUND
        );
        assert_eq!(
            code_of(r#"{"jsonrpc":"2.0","id":1,"method":"getInfo","extra":1}"#),
            code::INVALID_REQUEST
        );
        assert_eq!(
            code_of(
                r#"{"jsonrpc":"2.0","id":1,"method":"setRequiredFeatures","params":{"features":[],"x":1}}"#
            ),
            code::INVALID_PARAMS
        );
        assert_eq!(
            code_of(
                r#"{"jsonrpc":"2.0","id":1,"method":"setRequiredFeatures","params":{"features":[1]}}"#
            ),
            code::INVALID_PARAMS
        );
        assert_eq!(
            code_of(
                r#"{"jsonrpc":"2.0","id":1,"method":"setRequiredFeatures","params":{"features":[],"dataFormat":"xml"}}"#
            ),
            code::INVALID_PARAMS
        );
    }
}
