//! `GET /metrics`: Prometheus (OpenMetrics) text.
//!
//! The broker registers its own metrics (clients, bytes sent, slow-consumer
//! disconnects, ingest-to-send latency); the pipeline counts snapshots and
//! events by feature; the GSI counters are read at scrape time.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use wardcast_broker::Broker;
use wardcast_gsi::IngestStats;

/// The pipeline's counters.
#[derive(Debug, Clone, Default)]
pub struct PipelineMetrics {
    /// Snapshots the engine processed.
    pub snapshots: Counter,
    /// Events published, by feature.
    pub events: Family<Vec<(&'static str, &'static str)>, Counter>,
}

/// The GSI endpoint's counters, read from its atomics at each scrape.
#[derive(Debug)]
struct IngestCollector(Arc<IngestStats>);

impl Collector for IngestCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = &self.0;
        let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        let rejected = [
            ("malformed", load(&s.malformed)),
            ("unauthorized", load(&s.unauthorized)),
            ("cross_origin", load(&s.cross_origin)),
            ("timeout", load(&s.timeout)),
            ("too_large", load(&s.too_large)),
            ("busy", load(&s.busy)),
            ("bad_source", load(&s.bad_source)),
        ];
        let posts =
            ConstCounter::new(load(&s.accepted) + rejected.iter().map(|(_, n)| n).sum::<u64>());
        posts.encode(encoder.encode_descriptor(
            "wardcast_gsi_posts",
            "GSI bodies received",
            None,
            posts.metric_type(),
        )?)?;
        let kind = ConstCounter::new(0u64).metric_type();
        let mut family = encoder.encode_descriptor(
            "wardcast_gsi_rejected",
            "GSI bodies refused, by reason",
            None,
            kind,
        )?;
        for (reason, n) in rejected {
            ConstCounter::new(n).encode(family.encode_family(&[("reason", reason)])?)?;
        }
        Ok(())
    }
}

/// Builds the registry for `/metrics`.
pub fn registry(broker: &Broker, ingest: Arc<IngestStats>, pipeline: &PipelineMetrics) -> Registry {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(IngestCollector(ingest)));
    registry.register(
        "wardcast_snapshots_processed",
        "GSI snapshots the feature engine processed",
        pipeline.snapshots.clone(),
    );
    registry.register(
        "wardcast_events",
        "Events published, by feature",
        pipeline.events.clone(),
    );
    broker.register_metrics(&mut registry);
    registry
}

/// Renders the registry as text.
pub fn render(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::text::encode(&mut out, registry);
    out
}
