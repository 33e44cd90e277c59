//! The hub: sequence numbers, the last-value info store, and the ring of
//! published frames.
//!
//! One mutex guards the counter and the store. [`Hub::publish`] assigns seqs,
//! renders the frames, updates the store and sends to the ring while holding it,
//! and a subscribing client takes its receiver and its snapshot under the same
//! lock, so the snapshot covers exactly the frames up to its seq and the ring
//! delivers exactly those after. The lock is never held across an `.await`.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::batch::{Batch, GameIdentity};
use crate::catalogue::{Catalogue, FeatureId, FeatureSet};
use crate::wire::{DataFormat, Frame, Payload, Target, Wire};

/// The frames of one publish, delivered through the ring as one unit.
#[derive(Debug)]
pub(crate) struct Published {
    pub frames: Vec<Frame>,
    /// When the game data behind it arrived (for the latency histogram).
    pub received_at: Option<Instant>,
    /// The frames on the wire in the default format, rendered at publish.
    string: Wire,
    /// The same in the object format, rendered when a client first wants it.
    object: std::sync::OnceLock<Wire>,
    /// Whether its info maps went into the hub's store when it was applied
    /// (it was rendered in both formats already, so nothing needs them to
    /// render): the batch then keeps only its bytes, and [`Published::info_of`]
    /// reads an info frame back from them for a client that conflates.
    info_moved: bool,
    /// Info frames read back from the object format, once, for conflation.
    read_back: std::sync::OnceLock<Vec<Option<Map<String, Value>>>>,
}

impl Published {
    /// Renders `frames` for the wire (the object format waits for a client).
    pub fn new(frames: Vec<Frame>, received_at: Option<Instant>) -> Self {
        let string = Wire::render(&frames, DataFormat::String);
        Self {
            frames,
            received_at,
            string,
            object: std::sync::OnceLock::new(),
            info_moved: false,
            read_back: std::sync::OnceLock::new(),
        }
    }

    /// Frames already rendered in both formats (read from the bus).
    pub fn rendered(frames: Vec<Frame>, string: Wire, object: Wire) -> Self {
        Self {
            frames,
            received_at: None,
            string,
            object: std::sync::OnceLock::from(object),
            info_moved: false,
            read_back: std::sync::OnceLock::new(),
        }
    }

    /// The feature and category → key → value map of frame `i`, if it is an
    /// info update: from the frame, or read back from its bytes once its
    /// maps went into the store (`None` if they do not read, which cannot
    /// happen to bytes this broker rendered: the frame is then sent as is).
    pub fn info_of(&self, i: usize) -> Option<(&str, &Map<String, Value>)> {
        let frame = self.frames.get(i)?;
        if !self.info_moved {
            return frame.info();
        }
        let Payload::Info { feature, .. } = &frame.payload else {
            return None;
        };
        let read = self.read_back.get_or_init(|| {
            let object = self.wire(DataFormat::Object);
            (0..self.frames.len())
                .map(|i| {
                    self.frames[i]
                        .is_info
                        .then(|| crate::wire::info_of_text(object.frame_text(i)?))
                        .flatten()
                })
                .collect()
        });
        Some((feature, read.get(i)?.as_ref()?))
    }

    /// The frames as WebSocket bytes in `format`.
    pub fn wire(&self, format: DataFormat) -> &Wire {
        match format {
            DataFormat::String => &self.string,
            DataFormat::Object => self
                .object
                .get_or_init(|| Wire::render(&self.frames, DataFormat::Object)),
        }
    }

    /// Roughly what the batch weighs in memory: the rendered bytes plus the
    /// kept payload, whose `serde_json::Value` tree is several times larger than
    /// its text (measured: RSS follows about 8× the rendered length).
    /// A batch whose info moved into the store weighs the same: its info is
    /// read back when a client conflates, and then weighs as much again.
    pub fn weight(&self) -> usize {
        8 * self.string.len()
    }
}

/// The current info of one feature and the seq at which it last changed.
#[derive(Debug, Default)]
struct FeatureInfo {
    seq: u64,
    info: Map<String, Value>,
}

/// `seq = batch << BATCH_SHIFT | index`: the batch's number (a source's
/// stream sequence in tournament mode), then the notification's place in it.
/// A batch's own notifications have indexes 1 to `OWN - 1`; indexes from
/// `OWN` up are a connection's own (its snapshots, its `onError`), allocated
/// after the batch it has seen. So seqs rise on every connection, compare
/// across nodes, and `since >> BATCH_SHIFT` names the batch a client was at.
pub(crate) const BATCH_SHIFT: u32 = 16;
/// The largest batch number: every seq then stays below 2^53, so JavaScript
/// numbers hold it exactly (430 years of 10 batches a second).
pub(crate) const MAX_BATCH: u64 = 1 << 37;
/// The first index of a connection's own notifications within a batch.
pub(crate) const OWN: u64 = 1 << 15;
/// The last index of a batch.
const LAST_INDEX: u64 = (1 << BATCH_SHIFT) - 1;

/// The first seq of batch `batch`'s connection-own range.
fn own_base(batch: u64) -> u64 {
    (batch << BATCH_SHIFT) | OWN
}

/// A publication read from the bus that is not the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfOrder {
    /// The batch that should have come.
    pub expected: u64,
    /// The batch that came.
    pub got: u64,
}

/// A connection allocated every own seq of the current batch (it
/// re-subscribed thousands of times with no game data in between).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Exhausted;

#[derive(Debug)]
struct State {
    /// The number of the last batch published (0 before any).
    batch: u64,
    /// The seq of the last notification published (0 before any).
    last: u64,
    /// Recent publications, oldest first, for `resume`: bounded by the number
    /// of notifications and by age; the oldest are dropped first.
    history: std::collections::VecDeque<(Instant, Arc<Published>)>,
    /// Notifications held in `history`.
    history_frames: usize,
    /// Rendered bytes held in `history`.
    history_bytes: usize,
    /// Every seq up to this one has left the history (0: nothing has yet).
    history_floor: u64,
    /// The publications the ring may still deliver, oldest first: the ring
    /// itself holds only weak references, so these bound its memory, by the
    /// ring's capacity and by `ring_max_bytes`. A publication dropped from here
    /// (and from the history) is freed; a client that then reaches it is a
    /// slow consumer.
    live: std::collections::VecDeque<Arc<Published>>,
    /// `weight()` of everything in `live`.
    live_bytes: usize,
    info: Vec<FeatureInfo>,
    running: bool,
    last_touch: Option<Instant>,
    /// The ring of published frames. The hub sends while holding the state;
    /// each session holds a receiver. The ring is bounded: a receiver that
    /// falls more than its capacity behind gets `Lagged` and is closed as a
    /// slow consumer. A reset replaces it: the old receivers then see the
    /// ring closed, and their sessions close with 4010.
    tx: broadcast::Sender<Weak<Published>>,
}

/// A late joiner's view of the store: one entry per feature with info.
pub(crate) struct SnapshotEntry {
    pub seq: u64,
    pub feature: String,
    pub info: Map<String, Value>,
}

/// How much history `resume` can draw on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryLimits {
    /// The most notifications kept.
    pub max_notifications: usize,
    /// The oldest notification kept.
    pub max_age: std::time::Duration,
    /// The most rendered bytes kept (large info updates count for what they weigh).
    pub max_bytes: usize,
}

/// A client's end of the ring: weak references, so the ring's memory is
/// bounded by bytes as well as by count (see `State::live`). A reference that
/// no longer upgrades means the client fell behind too far.
pub(crate) type RingReceiver = broadcast::Receiver<Weak<Published>>;

/// A resumed client's receiver, the seq it starts after, and the publications it missed.
pub(crate) type Resumed = (RingReceiver, u64, Vec<Arc<Published>>);

/// Why a resume cannot replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotRecoverable {
    /// The epoch names another broker run (a restart).
    OtherEpoch,
    /// The notifications after `since` are no longer all held.
    TooOld,
}

pub(crate) struct Hub {
    state: Mutex<State>,
    limits: HistoryLimits,
    /// The ring's capacity, in publications.
    capacity: usize,
    /// The most bytes (`Published::weight`) the ring keeps alive.
    ring_max_bytes: usize,
    /// The latest `onGameInfoUpdated`, for clients that have not subscribed
    /// yet (an Overwolf app waits for `gameLaunched` before it subscribes).
    /// A watch holds one value, so it never grows.
    game_info: tokio::sync::watch::Sender<Option<Arc<Published>>>,
    names: Vec<String>,
    /// A UUID per run, or the bus stream's epoch (set before the first batch).
    epoch: std::sync::RwLock<Arc<str>>,
    game: GameIdentity,
}

impl Hub {
    pub fn new(
        catalogue: &Catalogue,
        capacity: usize,
        ring_max_bytes: usize,
        game: GameIdentity,
        limits: HistoryLimits,
    ) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        let (game_info, _) = tokio::sync::watch::channel(None);
        Self {
            game_info,
            limits,
            state: Mutex::new(State {
                batch: 0,
                last: 0,
                history: std::collections::VecDeque::new(),
                history_frames: 0,
                history_bytes: 0,
                history_floor: 0,
                live: std::collections::VecDeque::new(),
                live_bytes: 0,
                info: catalogue
                    .features()
                    .iter()
                    .map(|_| FeatureInfo::default())
                    .collect(),
                running: false,
                last_touch: None,
                tx,
            }),
            capacity,
            ring_max_bytes,
            names: catalogue
                .features()
                .iter()
                .map(|f| f.name.clone())
                .collect(),
            epoch: std::sync::RwLock::new(Arc::from(uuid::Uuid::new_v4().to_string())),
            game,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-written in a
        // way later readers could misread, so a poisoned lock is still used.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn epoch(&self) -> Arc<str> {
        self.epoch.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Takes the bus stream's epoch; refused (false) once a batch was
    /// applied under another one.
    pub fn adopt_epoch(&self, epoch: &str) -> bool {
        let st = self.lock();
        let mut current = self.epoch.write().unwrap_or_else(|e| e.into_inner());
        if &**current == epoch {
            return true;
        }
        if st.batch != 0 {
            return false;
        }
        *current = Arc::from(epoch);
        true
    }

    pub fn game(&self) -> &GameIdentity {
        &self.game
    }

    pub fn limits(&self) -> HistoryLimits {
        self.limits
    }

    pub fn last_seq(&self) -> u64 {
        self.lock().last
    }

    fn name(&self, id: FeatureId) -> String {
        self.names
            .get(usize::from(id.0))
            .cloned()
            .unwrap_or_default()
    }

    pub fn publish(&self, batch: Batch) {
        if batch.is_empty() {
            return;
        }
        let mut st = self.lock();
        let number = st.batch + 1;
        let (frames, received_at) = self.number(number, batch);
        let published = Published::new(frames, received_at);
        self.apply_locked(&mut st, number, published);
    }

    /// The notifications of `batch` numbered as batch `number`, and when its
    /// game data arrived. At most one events and one info frame per feature,
    /// and catalogues are smaller than `OWN / 2` (checked in `Broker::new`),
    /// so every index stays below `OWN`.
    pub fn number(&self, number: u64, batch: Batch) -> (Vec<Frame>, Option<Instant>) {
        let base = number << BATCH_SHIFT;
        let mut index = 0;
        let mut frames = Vec::with_capacity(batch.events.len() + batch.info.len() + 1);
        if let Some(running) = batch.running {
            index += 1;
            let payload = Payload::GameInfo {
                game: self.game.clone(),
                running,
            };
            frames.push(Frame::new(base | index, Target::Subscribed, payload));
        }
        for (feature, events) in batch.events {
            index += 1;
            let payload = Payload::Events {
                feature: self.name(feature),
                events,
            };
            frames.push(Frame::new(base | index, Target::Feature(feature), payload));
        }
        for (feature, info) in batch.info {
            index += 1;
            let payload = Payload::Info {
                feature: self.name(feature),
                info,
            };
            frames.push(Frame::new(base | index, Target::Feature(feature), payload));
        }
        (frames, batch.received_at)
    }

    /// Applies a publication numbered elsewhere (read from the bus): it must
    /// be the batch after the last one applied, or the first.
    pub fn apply(&self, number: u64, published: Published) -> Result<(), OutOfOrder> {
        let mut st = self.lock();
        if st.batch != 0 && number != st.batch + 1 {
            return Err(OutOfOrder {
                expected: st.batch + 1,
                got: number,
            });
        }
        if st.batch == 0 && number > 1 {
            // A node that starts within a stream: nothing before can be replayed.
            st.history_floor = ((number - 1) << BATCH_SHIFT) | LAST_INDEX;
        }
        self.apply_locked(&mut st, number, published);
        Ok(())
    }

    /// Starts the hub over in a new epoch, empty (the bus stream it follows
    /// was lost and made anew). Its subscribed clients see the ring closed
    /// and are closed with 4010: their seqs mean nothing in the new epoch.
    pub fn reset(&self, epoch: &str) {
        let mut st = self.lock();
        let (tx, _) = broadcast::channel(self.capacity);
        let old = std::mem::replace(&mut st.tx, tx);
        st.batch = 0;
        st.last = 0;
        st.history.clear();
        st.history_frames = 0;
        st.history_bytes = 0;
        st.history_floor = 0;
        st.live.clear();
        st.live_bytes = 0;
        for info in &mut st.info {
            *info = FeatureInfo::default();
        }
        st.running = false;
        *self.epoch.write().unwrap_or_else(|e| e.into_inner()) = Arc::from(epoch);
        drop(st);
        self.game_info.send_replace(None);
        drop(old);
    }

    /// Gives a hub restored from a checkpoint the publications before it,
    /// oldest first, each with how long ago it was stored, so clients that
    /// saw them can resume here. They must end at the checkpoint's batch and
    /// follow each other; what the history limits would not keep is left
    /// out, oldest first. Returns how many were kept.
    pub fn backfill(&self, older: Vec<(u64, Duration, Published)>) -> usize {
        let mut st = self.lock();
        let contiguous = older
            .iter()
            .rev()
            .zip((0..=st.batch).rev())
            .all(|((number, _, _), expected)| *number == expected);
        if !st.history.is_empty() || st.batch == 0 || !contiguous || older.len() as u64 > st.batch {
            return 0;
        }
        let now = Instant::now();
        let mut kept = std::collections::VecDeque::new();
        let (mut frames, mut bytes) = (0, 0);
        let mut floor = st.history_floor;
        for (number, age, published) in older.into_iter().rev() {
            frames += published.frames.len();
            bytes += published.weight();
            let at = now.checked_sub(age).unwrap_or(now);
            if frames > self.limits.max_notifications
                || bytes > self.limits.max_bytes
                || age > self.limits.max_age
            {
                break;
            }
            floor = (number.saturating_sub(1) << BATCH_SHIFT) | LAST_INDEX;
            kept.push_front((at, Arc::new(published)));
        }
        let count = kept.len();
        if count > 0 {
            st.history_frames = kept.iter().map(|(_, p)| p.frames.len()).sum();
            st.history_bytes = kept.iter().map(|(_, p)| p.weight()).sum();
            st.history = kept;
            st.history_floor = floor;
        }
        count
    }

    /// The batch number the next publication gets.
    pub fn next_batch(&self) -> u64 {
        self.lock().batch + 1
    }

    /// The last publication (for tests).
    #[cfg(test)]
    pub fn last_published(&self) -> Option<Arc<Published>> {
        self.lock().live.back().cloned()
    }

    /// Whether the last publication said the game is sending data.
    pub fn is_running(&self) -> bool {
        self.lock().running
    }

    /// The current info of the feature named `feature` (category → key → value).
    pub fn info_named(&self, feature: &str) -> Option<Map<String, Value>> {
        let i = self.names.iter().position(|n| n == feature)?;
        let st = self.lock();
        st.info
            .get(i)
            .map(|f| f.info.clone())
            .filter(|m| !m.is_empty())
    }

    /// The game identity it reports.
    pub fn game_identity(&self) -> &GameIdentity {
        &self.game
    }

    /// Updates the store, the history and the ring with one publication, in
    /// one critical section, so they stay in one order.
    fn apply_locked(&self, st: &mut State, number: u64, mut published: Published) {
        let mut game_info = None;
        // Rendered in both formats already (the bus's batches): the info maps
        // move into the store instead of being copied, and the batch keeps
        // its bytes.
        let movable = published.object.get().is_some();
        published.info_moved = movable;
        for frame in &mut published.frames {
            match &mut frame.payload {
                Payload::Info { info, .. } => {
                    if let Target::Feature(feature) = frame.target {
                        if let Some(store) = st.info.get_mut(usize::from(feature.0)) {
                            store.seq = frame.seq;
                            // Kept for the object format, rendered later from it: copied.
                            let update = if movable {
                                std::mem::take(info)
                            } else {
                                info.clone()
                            };
                            merge(&mut store.info, update);
                        }
                    }
                }
                Payload::GameInfo { running, .. } => game_info = Some(*running),
                Payload::Events { .. } => {}
            }
            st.last = st.last.max(frame.seq);
        }
        st.batch = number;
        let published = Arc::new(published);
        if let Some(running) = game_info {
            st.running = running;
            // Clients not yet subscribed hear only this (Overwolf's gameLaunched).
            if published.frames.len() == 1 {
                self.game_info.send_replace(Some(published.clone()));
            }
        }
        self.send_shared(st, published);
    }

    /// Records a publication in the history and sends it to the ring; called
    /// with the state locked, so history, ring and seq stay in one order.
    fn send_shared(&self, st: &mut State, published: Arc<Published>) {
        let now = Instant::now();
        st.history_frames += published.frames.len();
        st.history_bytes += published.weight();
        st.history.push_back((now, published.clone()));
        while let Some((at, oldest)) = st.history.front() {
            let too_many = st.history_frames > self.limits.max_notifications;
            let too_big = st.history_bytes > self.limits.max_bytes;
            let too_old = now.duration_since(*at) > self.limits.max_age;
            if !(too_many || too_big || too_old) {
                break;
            }
            st.history_floor = oldest
                .frames
                .iter()
                .map(|f| f.seq)
                .max()
                .unwrap_or(st.history_floor);
            st.history_frames -= oldest.frames.len();
            st.history_bytes -= oldest.weight();
            st.history.pop_front();
        }
        st.live_bytes += published.weight();
        let weak = Arc::downgrade(&published);
        st.live.push_back(published);
        while st.live.len() > 1
            && (st.live.len() > self.capacity || st.live_bytes > self.ring_max_bytes)
        {
            if let Some(oldest) = st.live.pop_front() {
                st.live_bytes -= oldest.weight();
            }
        }
        // An error only means no client is subscribed.
        let _ = st.tx.send(weak);
    }

    /// For a client that saw everything up to `since` in `epoch`: a receiver
    /// positioned now, the seq it starts after, and every publication after
    /// `since`, if the history still holds them all.
    pub fn resume(&self, epoch: &str, since: u64) -> Result<Resumed, NotRecoverable> {
        if *epoch != *self.epoch() {
            return Err(NotRecoverable::OtherEpoch);
        }
        let st = self.lock();
        if since > (st.batch << BATCH_SHIFT | LAST_INDEX) {
            return Err(NotRecoverable::OtherEpoch);
        }
        if since < st.history_floor {
            return Err(NotRecoverable::TooOld);
        }
        let missed = st
            .history
            .iter()
            .filter(|(_, p)| p.frames.iter().any(|f| f.seq > since))
            .map(|(_, p)| p.clone())
            .collect();
        // The client is now past the batch it saw last, own seqs included.
        let position = since.max(own_base(st.batch));
        Ok((st.tx.subscribe(), position, missed))
    }

    pub fn set_running(&self, running: bool) {
        if self.lock().running == running {
            return;
        }
        self.publish(Batch::game_running(running));
    }

    /// The store as of the last batch, for a node that starts later: the
    /// batch number, each feature's info and last-change seq, whether the
    /// game is running.
    pub fn checkpoint(&self) -> Value {
        let st = self.lock();
        let features: Vec<Value> = st
            .info
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.info.is_empty())
            .map(|(i, f)| {
                serde_json::json!({
                    "feature": self.names.get(i).cloned().unwrap_or_default(),
                    "seq": f.seq,
                    "info": f.info,
                })
            })
            .collect();
        serde_json::json!({
            "number": st.batch, "last": st.last, "running": st.running, "features": features,
        })
    }

    /// Starts a fresh hub from a checkpoint; the next batch applied must be
    /// the one after it. Refused (false) once anything was applied, or for a
    /// checkpoint that does not read.
    pub fn restore(&self, checkpoint: &Value) -> bool {
        let mut st = self.lock();
        let (Some(number), Some(last)) = (
            checkpoint["number"].as_u64().filter(|n| *n <= MAX_BATCH),
            checkpoint["last"].as_u64(),
        ) else {
            return false;
        };
        if st.batch != 0 {
            return false;
        }
        for f in checkpoint["features"].as_array().into_iter().flatten() {
            let Some(i) = f["feature"]
                .as_str()
                .and_then(|n| self.names.iter().position(|m| m == n))
            else {
                continue;
            };
            if let (Some(store), Some(info)) = (st.info.get_mut(i), f["info"].as_object()) {
                store.seq = f["seq"].as_u64().unwrap_or(0);
                store.info = info.clone();
            }
        }
        st.batch = number;
        st.last = last;
        st.running = checkpoint["running"].as_bool().unwrap_or(false);
        // Nothing up to the checkpoint can be replayed from here.
        st.history_floor = (number << BATCH_SHIFT) | LAST_INDEX;
        true
    }

    /// Changes of the game's running state, for clients not yet subscribed.
    pub fn game_info_changes(&self) -> tokio::sync::watch::Receiver<Option<Arc<Published>>> {
        let mut rx = self.game_info.subscribe();
        rx.mark_unchanged();
        rx
    }

    /// The same, for a client moved here from a replaced source: if the
    /// game is running here, the receiver is already marked changed, so the
    /// client hears the launch it would otherwise have missed.
    pub fn game_info_on_arrival(&self) -> tokio::sync::watch::Receiver<Option<Arc<Published>>> {
        let mut rx = self.game_info.subscribe();
        let launched = rx.borrow().as_ref().is_some_and(|published| {
            published
                .frames
                .iter()
                .any(|f| matches!(f.payload, Payload::GameInfo { running: true, .. }))
        });
        if launched {
            rx.mark_changed();
        } else {
            rx.mark_unchanged();
        }
        rx
    }

    pub fn touch(&self) {
        self.lock().last_touch = Some(Instant::now());
    }

    /// Whether the game is running, and milliseconds since its last data.
    pub fn running(&self) -> (bool, Option<u64>) {
        let st = self.lock();
        let age = st
            .last_touch
            .map(|t| u64::try_from(t.elapsed().as_millis()).unwrap_or(u64::MAX));
        (st.running, age)
    }

    /// The seq of a connection's last notification before it is closed
    /// (`onError slow_consumer`): above everything it can have been sent.
    pub fn closing_seq(&self) -> u64 {
        (self.lock().batch << BATCH_SHIFT) | LAST_INDEX
    }

    /// Takes a snapshot of the features in `set` for a subscribing client and,
    /// if `with_receiver`, a ring receiver positioned right after it.
    ///
    /// The snapshot's notifications get the connection's own seqs in the
    /// last batch's range, after `after` (the connection's previous result),
    /// in the order their info last changed: so a client's seqs rise strictly
    /// across snapshot and live notifications alike, and two clients that
    /// subscribe after the same batch get the same snapshot, byte for byte.
    /// The returned seq is the last of them (or the range's start), and
    /// everything published later is above it.
    pub fn subscribe(
        &self,
        set: &FeatureSet,
        with_receiver: bool,
        after: u64,
    ) -> Result<(Option<RingReceiver>, u64, Vec<SnapshotEntry>), Exhausted> {
        let st = self.lock();
        let mut entries = self.entries(&st, set);
        entries.sort_by_key(|e| e.seq);
        let mut seq = after.max(own_base(st.batch));
        let room = (st.batch << BATCH_SHIFT | LAST_INDEX) - seq;
        if entries.len() as u64 > room {
            return Err(Exhausted);
        }
        for entry in &mut entries {
            seq += 1;
            entry.seq = seq;
        }
        let rx = with_receiver.then(|| st.tx.subscribe());
        Ok((rx, seq, entries))
    }

    /// The current info of the features in `set`, for `getInfo` (no seqs are
    /// allocated: nothing is sent as notifications).
    pub fn info_of(&self, set: &FeatureSet) -> Vec<SnapshotEntry> {
        let st = self.lock();
        self.entries(&st, set)
    }

    fn entries(&self, st: &State, set: &FeatureSet) -> Vec<SnapshotEntry> {
        st.info
            .iter()
            .enumerate()
            .filter(|(i, f)| {
                !f.info.is_empty() && u16::try_from(*i).is_ok_and(|i| set.contains(FeatureId(i)))
            })
            .map(|(i, f)| SnapshotEntry {
                seq: f.seq,
                feature: self.names.get(i).cloned().unwrap_or_default(),
                info: f.info.clone(),
            })
            .collect()
    }
}

/// Applies one update to a feature's store: `null` removes a key, and an empty
/// category is dropped.
/// Merges an info update (category → key → value; `null` removes a key)
/// into a feature's store, taking its keys and values.
fn merge(store: &mut Map<String, Value>, update: Map<String, Value>) {
    for (category, keys) in update {
        let Value::Object(keys) = keys else { continue };
        if !store.contains_key(&category) {
            store.insert(category.clone(), Value::Object(Map::new()));
        }
        let Some(Value::Object(slot)) = store.get_mut(&category) else {
            continue;
        };
        for (key, value) in keys {
            if value.is_null() {
                slot.remove(&key);
            } else {
                slot.insert(key, value);
            }
        }
        if slot.is_empty() {
            store.remove(&category);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::FeatureDef;
    use serde_json::json;

    fn catalogue() -> Catalogue {
        Catalogue::new(vec![FeatureDef {
            name: "roster".into(),
            events: Vec::new(),
            info: Vec::new(),
            supported: true,
            reason: None,
            state: 1,
        }])
    }

    /// A batch whose one info value renders to about `len` bytes.
    fn big(n: usize, len: usize) -> Batch {
        let mut batch = Batch::default();
        batch.info(
            FeatureId(0),
            "roster",
            "players",
            json!(format!("{n}:{}", "x".repeat(len))),
        );
        batch
    }

    #[test]
    fn the_ring_keeps_alive_at_most_its_byte_bound_and_a_client_behind_it_is_told() {
        let limits = HistoryLimits {
            max_notifications: 1,
            max_age: std::time::Duration::from_secs(300),
            max_bytes: 1,
        };
        // Room for 256 batches by count, but only about 10 of these by bytes.
        let hub = Hub::new(
            &catalogue(),
            256,
            10 * 8 * 10_100,
            GameIdentity::default(),
            limits,
        );
        let mut set = FeatureSet::default();
        set.insert(FeatureId(0));
        let (rx, _, _) = hub.subscribe(&set, true, 0).expect("room");
        let mut rx = rx.expect("receiver");
        for n in 0..100 {
            hub.publish(big(n, 10_000));
        }
        {
            let st = hub.lock();
            assert!(st.live.len() <= 10, "{} batches alive", st.live.len());
            assert!(st.live_bytes <= 10 * 8 * 10_100, "{} bytes", st.live_bytes);
        }
        // The ring still lists all 100 (it holds weak references), but only
        // the newest are alive: a client this far behind finds the gap.
        let mut alive = Vec::new();
        while let Ok(weak) = rx.try_recv() {
            alive.push(weak.upgrade().is_some());
        }
        assert_eq!(alive.len(), 100);
        assert!(!alive[0] && alive[99]);
        assert_eq!(alive.iter().filter(|a| **a).count(), hub.lock().live.len());
    }

    fn hub(limits: HistoryLimits) -> Hub {
        Hub::new(&catalogue(), 256, 1 << 30, GameIdentity::default(), limits)
    }

    const ROOMY: HistoryLimits = HistoryLimits {
        max_notifications: 10_000,
        max_age: Duration::from_secs(300),
        max_bytes: 1 << 30,
    };

    /// Batch `number` as the ingest renders it, for another hub to apply.
    fn rendered(from: &Hub, number: u64) -> Published {
        let (frames, _) = from.number(number, big(usize::try_from(number).unwrap_or(0), 10));
        Published::new(frames, None)
    }

    #[test]
    fn a_hub_that_starts_within_a_stream_replays_nothing_from_before_it() {
        let ingest = hub(ROOMY);
        let edge = hub(ROOMY);
        edge.apply(5, rendered(&ingest, 5)).expect("first");
        edge.apply(6, rendered(&ingest, 6)).expect("next");
        let epoch = edge.epoch();
        assert_eq!(
            edge.resume(&epoch, 3 << BATCH_SHIFT).err(),
            Some(NotRecoverable::TooOld)
        );
        let (_, _, missed) = edge
            .resume(&epoch, 5 << BATCH_SHIFT | LAST_INDEX)
            .expect("held");
        assert_eq!(missed.len(), 1, "batch 6 only");
    }

    #[test]
    fn a_restored_hub_backfilled_with_the_batches_before_its_checkpoint_replays_them() {
        let ingest = hub(ROOMY);
        for n in 1..=8 {
            ingest.apply(n, rendered(&ingest, n)).expect("in order");
        }
        let edge = hub(ROOMY);
        assert!(edge.restore(&ingest.checkpoint()));
        let epoch = edge.epoch();
        assert_eq!(
            edge.resume(&epoch, 6 << BATCH_SHIFT).err(),
            Some(NotRecoverable::TooOld)
        );
        // Not ending at the checkpoint's batch: refused.
        let gap = vec![(5, Duration::ZERO, rendered(&ingest, 5))];
        assert_eq!(edge.backfill(gap), 0);
        let older = (4..=8)
            .map(|n| (n, Duration::from_secs(9 - n), rendered(&ingest, n)))
            .collect();
        assert_eq!(edge.backfill(older), 5);
        let (_, _, missed) = edge.resume(&epoch, 6 << BATCH_SHIFT).expect("backfilled");
        assert_eq!(missed.len(), 3, "batches 6, 7 and 8");
        assert_eq!(
            edge.resume(&epoch, 2 << BATCH_SHIFT).err(),
            Some(NotRecoverable::TooOld)
        );
        edge.apply(9, rendered(&ingest, 9))
            .expect("after the checkpoint");
    }

    #[test]
    fn backfill_keeps_what_the_history_limits_allow_newest_first() {
        let ingest = hub(ROOMY);
        for n in 1..=8 {
            ingest.apply(n, rendered(&ingest, n)).expect("in order");
        }
        let edge = hub(HistoryLimits {
            max_age: Duration::from_secs(3),
            ..ROOMY
        });
        assert!(edge.restore(&ingest.checkpoint()));
        let older = (1..=8)
            .map(|n| (n, Duration::from_secs(8 - n), rendered(&ingest, n)))
            .collect();
        assert_eq!(
            edge.backfill(older),
            4,
            "stored 0 to 3 s ago: batches 5 to 8"
        );
        let epoch = edge.epoch();
        assert!(edge.resume(&epoch, 4 << BATCH_SHIFT | LAST_INDEX).is_ok());
        assert_eq!(
            edge.resume(&epoch, 4 << BATCH_SHIFT).err(),
            Some(NotRecoverable::TooOld)
        );
    }

    #[test]
    fn a_reset_empties_the_hub_in_a_new_epoch_and_closes_its_ring() {
        let hub = hub(ROOMY);
        let mut set = FeatureSet::default();
        set.insert(FeatureId(0));
        hub.publish(big(1, 10));
        let (rx, _, _) = hub.subscribe(&set, true, 0).expect("room");
        let mut rx = rx.expect("receiver");
        let old = hub.epoch();
        hub.reset("new-epoch");
        assert_eq!(&*hub.epoch(), "new-epoch");
        assert_eq!(hub.next_batch(), 1);
        assert!(hub.info_named("roster").is_none(), "the store is empty");
        assert_eq!(
            rx.try_recv().err(),
            Some(broadcast::error::TryRecvError::Closed)
        );
        assert_eq!(hub.resume(&old, 1).err(), Some(NotRecoverable::OtherEpoch));
        hub.publish(big(2, 10));
        let (_, _, entries) = hub.subscribe(&set, false, 0).expect("room");
        assert_eq!(entries.len(), 1);
    }
}
