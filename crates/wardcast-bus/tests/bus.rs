//! The bus against a real nats-server (skipped, saying so, without one; CI
//! sets WARDCAST_REQUIRE_NATS=1 so it never skips there).

use std::time::Duration;

use bytes::Bytes;
use wardcast_bus::server::NatsServer;
use wardcast_bus::{Bus, BusConfig, Error};

async fn within<F: std::future::Future>(what: &str, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

async fn bus(server: &NatsServer) -> Bus {
    let config = BusConfig {
        urls: vec![server.url()],
        name: "wardcast-bus-test".into(),
        ..BusConfig::default()
    };
    within("connect", Bus::connect(&config))
        .await
        .expect("connect")
}

#[tokio::test]
async fn the_epoch_is_the_streams_and_survives_reopening_and_a_server_restart() {
    let Some(mut server) = NatsServer::start().await else {
        return;
    };
    let bus1 = bus(&server).await;
    let stream = within("open", bus1.open_source("m1", 7314))
        .await
        .expect("open");
    let epoch = stream.epoch().to_string();
    assert_eq!(epoch.len(), 36, "a UUID: {epoch}");
    assert_eq!(stream.game(), Some(7314), "the stream names its game");
    let mut writer = within("writer", stream.writer("run-a"))
        .await
        .expect("writer");
    for i in 1..=3u64 {
        let seq = within("publish", writer.publish(Bytes::from(format!("batch {i}"))))
            .await
            .expect("publish");
        assert_eq!(seq, i);
    }
    let other = bus(&server).await;
    let again = within("reopen", other.open_source("m1", 7314))
        .await
        .expect("reopen");
    assert_eq!(again.epoch(), epoch, "another node sees the same epoch");
    let other_source = within("open m2", other.open_source("m2", 7314))
        .await
        .expect("m2");
    assert_ne!(other_source.epoch(), epoch, "each source has its own");

    within("restart", server.restart()).await;
    let after = bus(&server).await;
    let reopened = within("reopen after restart", after.open_source("m1", 7314))
        .await
        .expect("reopen");
    assert_eq!(reopened.epoch(), epoch, "file storage keeps the epoch");
    let span = within("span", reopened.span()).await.expect("span");
    assert_eq!((span.first, span.last), (1, 3), "and every batch");

    within("restart empty", server.restart_empty()).await;
    let fresh = bus(&server).await;
    let lost = within("open after loss", fresh.open_source("m1", 7314))
        .await
        .expect("open");
    assert_ne!(lost.epoch(), epoch, "a lost store is a new epoch");
}

#[tokio::test]
async fn a_second_writer_is_fenced_and_a_retried_publish_is_stored_once() {
    let Some(server) = NatsServer::start().await else {
        return;
    };
    let bus = bus(&server).await;
    let stream = within("open", bus.open_source("fence", 7314))
        .await
        .expect("open");
    let mut first = within("writer", stream.writer("ingest-1"))
        .await
        .expect("w1");
    let mut second = within("writer", stream.writer("ingest-2"))
        .await
        .expect("w2");
    assert_eq!(first.next_sequence(), 1);
    assert_eq!(second.next_sequence(), 1);
    within("publish", first.publish(Bytes::from_static(b"one")))
        .await
        .expect("first writer");
    match within("publish", second.publish(Bytes::from_static(b"rival"))).await {
        Err(Error::Fenced { id, sequence }) => assert_eq!((id.as_str(), sequence), ("fence", 1)),
        other => panic!("expected fenced, got {other:?}"),
    }

    // An ingest's first attempt at batch 2 is stored but its ack is lost:
    // it tries again with the same message id (two writers of one run stand
    // for the two attempts).
    let mut retry = within("writer", stream.writer("ingest-3"))
        .await
        .expect("retry");
    let mut lost_ack = within("writer", stream.writer("ingest-3"))
        .await
        .expect("lost");
    assert_eq!(lost_ack.next_sequence(), 2);
    within("publish", lost_ack.publish(Bytes::from_static(b"two")))
        .await
        .expect("stored");
    let seq = within("retry", retry.publish(Bytes::from_static(b"two")))
        .await
        .expect("a retry of a stored publish is a success");
    assert_eq!(seq, 2);
    let span = within("span", stream.span()).await.expect("span");
    assert_eq!(span.last, 2, "stored once, not twice");
    let stored = within("get", stream.get(2)).await.expect("get");
    assert_eq!(
        (stored.payload.as_ref(), stored.id.as_deref()),
        (&b"two"[..], Some("fence:ingest-3:1"))
    );
}

#[tokio::test]
async fn a_reader_gets_every_batch_from_a_sequence_in_order_then_live() {
    let Some(server) = NatsServer::start().await else {
        return;
    };
    let bus = bus(&server).await;
    let stream = within("open", bus.open_source("read", 7314))
        .await
        .expect("open");
    let mut writer = within("writer", stream.writer("run"))
        .await
        .expect("writer");
    for i in 1..=10u64 {
        within("publish", writer.publish(Bytes::from(i.to_string())))
            .await
            .expect("publish");
    }
    let mut reader = within("reader", stream.read_from(4)).await.expect("reader");
    for want in 4..=10u64 {
        let (seq, payload) = within("next", reader.next())
            .await
            .expect("next")
            .expect("open");
        assert_eq!((seq, payload), (want, Bytes::from(want.to_string())));
    }
    within("publish", writer.publish(Bytes::from_static(b"live")))
        .await
        .expect("publish");
    let (seq, payload) = within("live", reader.next())
        .await
        .expect("next")
        .expect("open");
    assert_eq!((seq, payload.as_ref()), (11, &b"live"[..]));
    assert_eq!(reader.expected(), 12);
}
