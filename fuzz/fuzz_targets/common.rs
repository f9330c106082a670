use iam_notify::Notification;
use iam_notify::message::{ChatFormat, MAX_BODY_BYTES, MAX_SMS_BYTES, SNS_MAX_MESSAGE_BYTES, sns_message};

/// What every notification must satisfy, whatever the input.
pub fn check(n: &Notification) {
    assert!(n.subject.len() < 100, "subject too long: {}", n.subject);
    assert!(n.subject.bytes().all(|b| (0x20..0x7f).contains(&b)), "subject not printable ASCII: {:?}", n.subject);
    assert!(n.body.len() <= MAX_BODY_BYTES, "body {} bytes", n.body.len());
    assert!(n.sms.len() <= MAX_SMS_BYTES, "sms {} bytes", n.sms.len());
    assert!(n.link.starts_with("https://console."), "link {}", n.link);
    assert!(n.link.bytes().all(|b| b.is_ascii_graphic()), "link {}", n.link);
    for chat in [ChatFormat::None, ChatFormat::AmazonQ] {
        let m = sns_message(n, chat);
        assert!(m.len() <= SNS_MAX_MESSAGE_BYTES, "message {} bytes", m.len());
        let v: serde_json::Value = serde_json::from_str(&m).expect("the SNS message is JSON");
        assert!(v.get("default").is_some_and(|d| d.is_string()), "default key");
    }
}
