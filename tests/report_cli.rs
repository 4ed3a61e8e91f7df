//! `xinfang-guide report --year`: the section and the table from a data dir,
//! directly and through the running server that holds it.

mod common;

use std::process::Command;
use std::sync::Arc;
use xinfang_guide::store::sled_store::SledOptions;
use xinfang_guide::store::{SledStore, Store};

fn report(data: &std::path::Path, year: i32, format: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(["report", "--year", &year.to_string(), "--format", format, "--data"])
        .arg(data)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run report");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8")
}

#[tokio::test]
async fn report_prints_the_section_and_the_table_from_the_data_dir_or_the_server() {
    let now = xinfang_guide::app::unix_now();
    // Yesterday's year, so the planted log has complete days in it.
    let year = xinfang_guide::analysis::day_of(now - 86_400).expect("day").year();
    let data = tempfile::tempdir().expect("tempdir");
    {
        let store: Arc<dyn Store> = SledStore::open(data.path(), &SledOptions::default()).expect("open");
        common::planted::write(store, common::planted::planted(now)).await;
    }
    let md = report(data.path(), year, "md");
    for want in [
        "（一）依法信访指引咨询服务情况",
        &format!("{year} 年（统计期间"),
        "人次",
        "按照诉访分离、依法分类处理的要求，指引群众向信访以外的法定途径或受理渠道反映诉求",
        "“kiosk-1”共",
        "## 附表",
        "| 月份 | 人次 | 消息 |",
        "| 事项 | 人次 |",
        "| 指引至信访（合计） |",
        "劳动争议",
    ] {
        assert!(md.contains(want), "{want:?} missing in\n{md}");
    }
    let csv = report(data.path(), year, "csv");
    assert!(csv.starts_with("\u{feff}table,key,name,date,people,messages\r\n"), "{csv}");
    assert!(csv.contains("\r\nsource_day,kiosk-1,,"));
    let json: serde_json::Value = serde_json::from_str(&report(data.path(), year, "json")).expect("json");
    assert_eq!(json["year"], year);

    // The same report while the server holds the data dir.
    let server = common::spawn(data.path());
    assert_eq!(report(data.path(), year, "md"), md, "asked {}", server.base);

    let bad = Command::new(env!("CARGO_BIN_EXE_xinfang-guide"))
        .args(["report", "--year", "1999", "--data"])
        .arg(data.path())
        .output()
        .expect("run");
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("between 2000 and 2100"));
}
