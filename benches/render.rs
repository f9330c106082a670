//! Parse + render cost per sample event, and for a large policy document.
//! `make bench` (cargo bench --bench render); results and the machine in BENCHMARKS.md.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use iam_notify::delivery::{ChatFormat, publish_request};
use iam_notify::{Format, render_payload};
use serde_json::{Value, json};
use std::hint::black_box;
use std::path::Path;

fn samples() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("events");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (
                name,
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap(),
            )
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn big_policy_event() -> Value {
    let statement = json!({"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::bucket/*"});
    let doc = json!({"Version": "2012-10-17", "Statement": vec![statement; 60]}).to_string();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/events/PutRolePolicy.json");
    let mut event: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    // About 6 KB: the largest inline policy IAM accepts is 10,240 characters.
    event["detail"]["requestParameters"]["policyDocument"] =
        json!(urlencoding::encode(&doc).into_owned());
    event
}

fn bench(c: &mut Criterion) {
    let samples = samples();
    // Every sample, one after the other: the per-event median is this time / count.
    let mut all = c.benchmark_group("all-samples");
    all.throughput(Throughput::Elements(samples.len() as u64));
    all.bench_function("parse+render", |b| {
        b.iter(|| {
            for (_, event) in &samples {
                black_box(render_payload(black_box(event), Format::Rich).unwrap());
            }
        })
    });
    // From the bytes Lambda hands over, as the Python baseline does with json.loads.
    let texts: Vec<Vec<u8>> = samples
        .iter()
        .map(|(_, e)| serde_json::to_vec(e).unwrap())
        .collect();
    all.bench_function("parse-bytes+render", |b| {
        b.iter(|| {
            for text in &texts {
                let event: Value = serde_json::from_slice(black_box(text)).unwrap();
                black_box(render_payload(&event, Format::Rich).unwrap());
            }
        })
    });
    // The whole job short of the network: the exact Publish request the function sends.
    all.bench_function("parse+render+sns-message", |b| {
        b.iter(|| {
            for (_, event) in &samples {
                let n = render_payload(black_box(event), Format::Rich).unwrap();
                black_box(publish_request(&n, ChatFormat::None));
            }
        })
    });
    all.finish();

    let mut each = c.benchmark_group("per-event");
    each.throughput(Throughput::Elements(1));
    for (name, event) in &samples {
        each.bench_with_input(BenchmarkId::from_parameter(name), event, |b, e| {
            b.iter(|| render_payload(black_box(e), Format::Rich).unwrap())
        });
    }
    let big = big_policy_event();
    each.bench_with_input(
        BenchmarkId::from_parameter("PutRolePolicy-6KB-document"),
        &big,
        |b, e| b.iter(|| render_payload(black_box(e), Format::Rich).unwrap()),
    );
    each.finish();

    // Findings are linear in the number of actions: 10x the actions, about 10x the time.
    let mut scaling = c.benchmark_group("findings-by-action-count");
    for n in [500usize, 5_000, 50_000] {
        let actions: Vec<String> = (0..n).map(|i| format!("svc{i}:*")).collect();
        let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]});
        let mut event = big_policy_event();
        event["detail"]["requestParameters"]["policyDocument"] = json!(doc.to_string());
        scaling.throughput(Throughput::Elements(n as u64));
        scaling.bench_with_input(BenchmarkId::from_parameter(n), &event, |b, e| {
            b.iter(|| render_payload(black_box(e), Format::Rich).unwrap())
        });
    }
    scaling.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).warm_up_time(std::time::Duration::from_millis(300))
        .measurement_time(std::time::Duration::from_millis(900));
    targets = bench
}
criterion_main!(benches);
