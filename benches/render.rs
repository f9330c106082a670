//! What issue 13's targets measure: the baseline's work and the whole job per sample event,
//! the largest policies IAM accepts, and cost against input size.
//! `make bench` (cargo bench --bench render); results and the machine in BENCHMARKS.md.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use iam_notify::delivery::{ChatFormat, publish_request};
use iam_notify::{Event, Format, render};
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

fn sample(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("events/{name}.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// A policy document of exactly `chars` characters (IAM counts the document without
/// whitespace; this one has none), of distinct statements.
fn policy_of(chars: usize) -> String {
    let mut statements = Vec::new();
    let mut i = 0;
    loop {
        let statement = json!({"Sid": format!("S{i}"), "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"], "Resource": format!("arn:aws:s3:::bucket-{i}/*")});
        statements.push(statement);
        let doc = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
        if doc.len() > chars {
            statements.pop();
            break;
        }
        i += 1;
    }
    let mut doc = json!({"Version": "2012-10-17", "Statement": statements}).to_string();
    // Pad the last resource name to the exact length.
    let missing = chars - doc.len();
    let at = doc.rfind("/*").unwrap();
    doc.insert_str(at, &"x".repeat(missing));
    assert_eq!(doc.len(), chars);
    doc
}

/// Statements (from `statement(i)`) added while the document stays within `chars`.
fn filled(chars: usize, statement: impl Fn(usize) -> Value) -> String {
    let mut statements = Vec::new();
    let mut size = 40;
    for i in 0.. {
        let next = statement(i);
        size += next.to_string().len() + 1;
        if size > chars {
            break;
        }
        statements.push(next);
    }
    json!({"Version": "2012-10-17", "Statement": statements}).to_string()
}

/// Action patterns with no literal start (`*17x*`), on one bucket's objects.
fn hostile_wildcards(chars: usize) -> String {
    let mut actions = Vec::new();
    let mut size = 120;
    for i in 0.. {
        let a = format!("*{i}x*");
        size += a.len() + 3;
        if size > chars {
            break;
        }
        actions.push(a);
    }
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions,
        "Resource": "arn:aws:s3:::bucket/*"}]})
    .to_string()
}

/// `*` on a different bucket per statement.
fn hostile_statements(chars: usize) -> String {
    filled(
        chars,
        |i| json!({"Effect": "Allow", "Action": "*", "Resource": format!("arn:aws:s3:::b{i}/*")}),
    )
}

/// `*` on everything, then a Deny of `*` on a different bucket per statement.
fn hostile_denies(chars: usize) -> String {
    filled(chars, |i| {
        if i == 0 {
            json!({"Effect": "Allow", "Action": "*", "Resource": "*"})
        } else {
            json!({"Effect": "Deny", "Action": "*", "Resource": format!("arn:aws:s3:::b{i}")})
        }
    })
}

/// `event` with its policy document replaced by `doc` as a JSON string (not URL-encoded:
/// the most document an event of a given size can carry).
fn with_raw_policy(mut event: Value, doc: &str) -> Vec<u8> {
    event["detail"]["requestParameters"]["policyDocument"] = json!(doc);
    serde_json::to_vec(&event).unwrap()
}

/// `doc` indented by four spaces a level.
fn indented_by_four(doc: &str) -> String {
    let tree: Value = serde_json::from_str(doc).unwrap();
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    serde::Serialize::serialize(
        &tree,
        &mut serde_json::Serializer::with_formatter(&mut out, formatter),
    )
    .unwrap();
    String::from_utf8(out).unwrap()
}

/// `event` with its policy document replaced, URL-encoded as CloudTrail records it.
fn with_policy(mut event: Value, doc: &str) -> Vec<u8> {
    event["detail"]["requestParameters"]["policyDocument"] =
        json!(urlencoding::encode(doc).into_owned());
    serde_json::to_vec(&event).unwrap()
}

/// The whole job from the bytes Lambda hands over, as the handler does it: parse (the event
/// borrows from the text), render (findings, every protocol's body, attributes; the
/// notification borrows from the event) and the exact Publish request.
fn whole_job(bytes: &[u8]) -> usize {
    let event = Event::parse_json(std::str::from_utf8(bytes).unwrap()).unwrap();
    let n = render(&event, Format::Rich);
    publish_request(&n, ChatFormat::None).size()
}

fn bench(c: &mut Criterion) {
    // As the function's main does: freed memory is kept for the next alert (src/heap.rs).
    iam_notify::heap::keep_freed_memory();
    let samples = samples();
    let texts: Vec<(String, Vec<u8>)> = samples
        .iter()
        .map(|(name, e)| (name.clone(), serde_json::to_vec(e).unwrap()))
        .collect();

    // The Python baseline's work (parse, subject, text body, console link) and more, from the
    // bytes, every sample one after the other: per event = time / count.
    let mut all = c.benchmark_group("all-samples");
    all.throughput(Throughput::Elements(samples.len() as u64));
    all.bench_function("parse-bytes+render", |b| {
        b.iter(|| {
            for (_, text) in &texts {
                let text = std::str::from_utf8(black_box(text)).unwrap();
                let event = Event::parse_json(text).unwrap();
                black_box(render(&event, Format::Rich));
            }
        })
    });
    all.bench_function("whole-job", |b| {
        b.iter(|| {
            for (_, text) in &texts {
                black_box(whole_job(black_box(text)));
            }
        })
    });
    all.finish();

    // The whole job per event: `make bench` reports the median over the samples.
    let mut each = c.benchmark_group("whole-job");
    each.throughput(Throughput::Elements(1));
    for (name, text) in &texts {
        each.bench_with_input(BenchmarkId::from_parameter(name), text, |b, t| {
            b.iter(|| whole_job(black_box(t)))
        });
    }
    each.finish();

    // The largest policies IAM accepts: 10,240 characters inline (a role's), 6,144 managed,
    // compact as programs write them (Terraform, CDK, CloudFormation); and the inline one
    // indented by four spaces, as people and editors write documents (IAM does not count
    // whitespace: 21 KB of text).
    let mut largest = c.benchmark_group("largest-policies");
    for (name, base, chars, indented) in [
        ("inline-role-policy-10240", "PutRolePolicy", 10_240, false),
        ("managed-policy-6144", "CreatePolicy", 6_144, false),
        (
            "inline-role-policy-10240-indented",
            "PutRolePolicy",
            10_240,
            true,
        ),
    ] {
        let doc = policy_of(chars);
        let doc = if indented {
            indented_by_four(&doc)
        } else {
            doc
        };
        let bytes = with_policy(sample(base), &doc);
        largest.bench_with_input(BenchmarkId::from_parameter(name), &bytes, |b, t| {
            b.iter(|| whole_job(black_box(t)))
        });
    }
    largest.finish();

    // Hostile documents, written to cost the analysis most: wildcards with no literal start
    // (each compared with the whole action catalogue until the budget is spent), `*` on a
    // different resource per statement, and a Deny per statement; at IAM's largest inline
    // policy (10,240 characters) and filling the largest event EventBridge accepts (256 KB).
    let mut hostile = c.benchmark_group("hostile-policies");
    hostile.sample_size(20);
    for (kind, make) in [
        ("wildcards", hostile_wildcards as fn(usize) -> String),
        ("statements", hostile_statements),
        ("denies", hostile_denies),
    ] {
        for (size, chars) in [("10240", Some(10_240)), ("event-256k", None)] {
            // The event of 256 KB: the largest document whose event EventBridge accepts.
            let bytes = match chars {
                Some(chars) => with_raw_policy(sample("PutRolePolicy"), &make(chars)),
                None => (0..)
                    .map(|step| {
                        with_raw_policy(sample("PutRolePolicy"), &make(260_000 - step * 2_000))
                    })
                    .find(|bytes| bytes.len() <= 262_144)
                    .unwrap(),
            };
            assert!(
                bytes.len() <= 262_144,
                "{kind} {size}: {} bytes",
                bytes.len()
            );
            hostile.bench_with_input(
                BenchmarkId::from_parameter(format!("{kind}-{size}")),
                &bytes,
                |b, t| b.iter(|| whole_job(black_box(t))),
            );
        }
    }
    hostile.finish();

    // Cost against input size: the same kind of document at 1x, 10x and 100x (2 KB to 200 KB).
    let mut scaling = c.benchmark_group("input-scaling");
    for factor in [1usize, 10, 100] {
        let bytes = with_policy(sample("PutRolePolicy"), &policy_of(2_048 * factor));
        scaling.throughput(Throughput::Bytes(bytes.len() as u64));
        scaling.bench_with_input(BenchmarkId::from_parameter(factor), &bytes, |b, t| {
            b.iter(|| whole_job(black_box(t)))
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
