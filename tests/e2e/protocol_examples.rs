//! Every example in `protocol/examples/` matches its schema and round-trips
//! unchanged through the typed messages of `wardcast_broker::protocol`.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use wardcast_broker::protocol::*;

use crate::util::*;

fn round_trip<T: DeserializeOwned + Serialize>(name: &str, value: &Value) {
    let typed: T = serde_json::from_value(value.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let back = serde_json::to_value(&typed).expect("serialize");
    assert_eq!(&back, value, "{name} changed in a round trip");
}

#[test]
fn examples_match_schemas_and_round_trip_through_the_types() {
    let dir = repo().join("protocol/examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("examples") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        if stem == "status" || stem == "overview" {
            assert_schema(stem, &read_json(&path));
            continue;
        }
        let schema: Vec<&str> = stem.split('.').take(2).collect();
        let (kind, method) = (schema[0], schema[1]);
        let value = read_json(&path);
        assert_schema(&format!("{kind}.{method}"), &value);
        match (kind, method) {
            ("request", "setRequiredFeatures") => {
                round_trip::<Request>(&name, &value);
                round_trip::<SetRequiredFeaturesParams>(&name, &value["params"]);
            }
            ("request", "resume") => {
                round_trip::<Request>(&name, &value);
                round_trip::<ResumeParams>(&name, &value["params"]);
            }
            ("request", _) => round_trip::<Request>(&name, &value),
            ("response", "setRequiredFeatures" | "resume") => {
                round_trip::<Response<SetRequiredFeaturesResult>>(&name, &value)
            }
            ("response", "getInfo") => round_trip::<Response<GetInfoResult>>(&name, &value),
            ("response", "getFeatures") => round_trip::<Response<GetFeaturesResult>>(&name, &value),
            ("response", "getRunningGameInfo") => {
                round_trip::<Response<RunningGameInfoResult>>(&name, &value)
            }
            ("response", "listSources") => round_trip::<Response<ListSourcesResult>>(&name, &value),
            ("response", "error") => round_trip::<Response<Value>>(&name, &value),
            ("notification", _) => round_trip::<NotificationMessage>(&name, &value),
            other => panic!("{name}: no type for {other:?}"),
        }
        seen += 1;
    }
    assert!(seen >= 13, "found {seen} examples");
}

#[test]
fn every_payload_example_matches_its_schema() {
    let mut seen = 0;
    for sub in ["data", "info"] {
        let dir = repo().join("protocol/examples").join(sub);
        for entry in std::fs::read_dir(&dir).expect("payload examples") {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let Some(stem) = name.strip_suffix(".json") else {
                continue;
            };
            assert_schema(&format!("{sub}/{stem}"), &read_json(&path));
            seen += 1;
        }
    }
    assert!(seen >= 60, "found {seen} payload examples");
}

/// Writes `actual` to `path` under `UPDATE_EXPECT=1`; otherwise asserts the
/// file holds exactly it.
fn expect_file(path: &std::path::Path, actual: &Value) {
    if std::env::var_os("UPDATE_EXPECT").is_some() {
        let text = serde_json::to_string_pretty(actual).expect("json") + "\n";
        std::fs::write(path, text).expect("write example");
        return;
    }
    pretty_assertions::assert_eq!(
        &read_json(path),
        actual,
        "{} is not what the broker says (UPDATE_EXPECT=1 rewrites it)",
        path.display()
    );
}

/// The catalogue and health examples are not written by hand: they are what a
/// broker answers in a player-mode match in progress (lifecycle body 10), so
/// they cannot drift from the code.
#[tokio::test]
async fn the_get_features_and_status_examples_are_what_the_broker_answers() {
    let server = Server::default().await;
    let body = lifecycle()[10].clone();
    server.post(&body).await;
    // Health follows the data once the pipeline has processed the body.
    let status = loop {
        let (code, text) = server.get("/status").await;
        assert_eq!(code, 200);
        let status: Value = serde_json::from_str(&text).expect("json");
        let me = status["features"]
            .as_array()
            .and_then(|f| f.iter().find(|f| f["name"] == "me"))
            .cloned()
            .unwrap_or_default();
        if me["state"] == 1 {
            break status;
        }
        tokio::task::yield_now().await;
    };
    assert_schema("status", &status);
    expect_file(&repo().join("protocol/examples/status.json"), &status);

    let mut client = server.client().await;
    let mut response = client.call("getFeatures", None).await;
    assert_schema("response.getFeatures", &response);
    response["id"] = 3.into();
    expect_file(
        &repo().join("protocol/examples/response.getFeatures.json"),
        &response,
    );
    server.shutdown().await;
}
