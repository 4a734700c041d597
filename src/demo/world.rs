//! The static scenery of the demo province: Ningde's county-level regions, trade names,
//! industries and what they use, the chemicals traded and their packages, outside parties.

/// Ningde's nine county-level regions (宁德市, GB/T 2260).
pub struct Region {
    pub code: &'static str,
    /// As it starts a company name or an address: 宁德市蕉城区, 霞浦县, 福安市 …
    pub prefix: &'static str,
    /// The one-character short name used in filing numbers (宁蕉公 …).
    pub abbr: &'static str,
    /// Towns and industrial areas for addresses.
    pub areas: &'static [&'static str],
    /// Relative number of firms.
    pub weight: u32,
    /// Relative number of producers (chemical parks).
    pub producer_weight: u32,
}

const fn region(
    code: &'static str,
    prefix: &'static str,
    abbr: &'static str,
    weight: u32,
    producer_weight: u32,
    areas: &'static [&'static str],
) -> Region {
    Region {
        code,
        prefix,
        abbr,
        areas,
        weight,
        producer_weight,
    }
}

#[rustfmt::skip] // a table: code, prefix, short name, weight, producer weight, areas
pub const REGIONS: &[Region] = &[
    region("350902", "宁德市蕉城区", "蕉", 22, 5, &["漳湾镇", "七都镇三屿园区", "东侨经济技术开发区", "金涵畲族乡", "飞鸾镇", "城南镇"]),
    region("350921", "霞浦县", "霞", 12, 1, &["松城街道", "溪南镇", "长春镇", "牙城镇"]),
    region("350922", "古田县", "古", 10, 1, &["城东街道", "大桥镇", "鹤塘镇", "黄田镇"]),
    region("350923", "屏南县", "屏",  5, 0, &["古峰镇", "双溪镇", "路下乡"]),
    region("350924", "寿宁县", "寿",  5, 0, &["鳌阳镇", "南阳镇", "斜滩镇"]),
    region("350925", "周宁县", "周",  4, 0, &["狮城镇", "咸村镇", "七步镇"]),
    region("350926", "柘荣县", "柘",  6, 0, &["双城镇", "富溪镇", "城郊乡"]),
    region("350981", "福安市", "安", 20, 4, &["湾坞工业区", "赛岐经济开发区", "甘棠镇", "阳头街道", "城北街道"]),
    region("350982", "福鼎市", "鼎", 16, 3, &["龙安工业园区", "文渡工业区", "店下镇", "太姥山镇", "星火工业园"]),
];

pub const ROADS: &[&str] = &[
    "工业路",
    "创业路",
    "兴业路",
    "科技路",
    "园区大道",
    "纬一路",
    "经二路",
    "滨海路",
    "环港路",
    "福宁路",
];

/// Trade names (字号).
pub const TRADE_NAMES: &[&str] = &[
    "华信", "鑫源", "恒达", "闽东", "海峡", "东侨", "三都", "太姥", "宏达", "永盛", "福瑞", "联创",
    "天成", "宁海", "金禾", "中诚", "瑞丰", "嘉盛", "正通", "汇源", "博远", "鼎盛", "安泰", "丰泽",
    "德润", "蓝海", "环宇", "顺昌", "华泰", "新奥", "霞光", "鹤鸣", "屏峰", "鳌峰", "狮城", "凤阳",
    "龙腾", "星火", "旭日", "万家", "同心", "众诚", "利民", "佳和", "美达", "长青", "兴华", "振华",
    "合力", "宏盛", "骏达", "泰和", "启航", "海创", "新宇", "康力", "欣荣", "广和", "信达", "白岩",
    "溪源", "聚力", "宁川", "福海", "晟达", "恒昌", "润泽", "天诚", "远航", "协和",
];

pub const PRODUCER_SUFFIXES: &[&str] = &[
    "化工有限公司",
    "精细化工有限公司",
    "化学工业有限公司",
    "新材料科技有限公司",
    "化学品有限公司",
];

pub const TRADER_SUFFIXES: &[&str] = &[
    "化工贸易有限公司",
    "化工原料有限公司",
    "化学试剂有限公司",
    "物资贸易有限公司",
    "化工物流有限公司",
];

pub const WAREHOUSES: &[&str] = &[
    "1号仓库",
    "危化品仓库",
    "甲类仓库",
    "A区库房",
    "2号库",
    "原料库",
];
pub const LAB_WAREHOUSES: &[&str] = &["试剂室", "危化品专用柜", "药品库"];

/// What a user firm of an industry consumes: CAS, chance (‰) that a firm of the industry
/// uses it, and its daily use in thousandths of a kilogram (low, high).
pub struct Need {
    pub cas: &'static str,
    pub per_mille: u32,
    pub daily: (i64, i64),
}

pub struct Sector {
    pub weight: u32,
    pub suffixes: &'static [&'static str],
    /// Laboratories buy small bottles and use little, irregularly.
    pub lab: bool,
    /// Chance (‰) of using each chemical on a working day.
    pub use_per_mille: u32,
    pub needs: &'static [Need],
}

const fn industry(
    weight: u32,
    use_per_mille: u32,
    suffixes: &'static [&'static str],
    needs: &'static [Need],
) -> Sector {
    Sector {
        weight,
        suffixes,
        lab: false,
        use_per_mille,
        needs,
    }
}

const fn laboratory(
    weight: u32,
    use_per_mille: u32,
    suffixes: &'static [&'static str],
    needs: &'static [Need],
) -> Sector {
    Sector {
        lab: true,
        ..industry(weight, use_per_mille, suffixes, needs)
    }
}

const fn need(cas: &'static str, per_mille: u32, lo_kg: i64, hi_kg: i64) -> Need {
    Need {
        cas,
        per_mille,
        daily: (lo_kg * 1000, hi_kg * 1000),
    }
}

const fn lab_need(cas: &'static str, per_mille: u32, lo_g: i64, hi_g: i64) -> Need {
    Need {
        cas,
        per_mille,
        daily: (lo_g, hi_g),
    }
}

pub const ACETONE: &str = "67-64-1";
pub const TOLUENE: &str = "108-88-3";
pub const MEK: &str = "78-93-3";
pub const PERMANGANATE: &str = "7722-64-7";
pub const SULFURIC: &str = "7664-93-9";
pub const HYDROCHLORIC: &str = "7647-01-0";
pub const ANHYDRIDE: &str = "108-24-7";
pub const CHLOROFORM: &str = "67-66-3";
pub const ETHER: &str = "60-29-7";
pub const PHENYLACETIC: &str = "103-82-2";
pub const ANTHRANILIC: &str = "118-92-3";
pub const PIPERONAL: &str = "120-57-0";

/// The pharmaceutical industry: index into [`SECTORS`]. Two users are always drawn from it so
/// that acetone and acetic anhydride always have registered buyers.
pub const PHARMA: usize = 4;

#[rustfmt::skip] // a table: weight, use per mille, name suffixes, needs
pub const SECTORS: &[Sector] = &[
    industry(14, 850, &["电镀有限公司", "表面处理有限公司", "金属制品有限公司"], &[
        need(HYDROCHLORIC, 900, 20, 150),
        need(SULFURIC, 700, 20, 120),
        need(PERMANGANATE, 100, 1, 3),
    ]),
    industry(6, 900, &["不锈钢有限公司", "特钢有限公司", "金属材料有限公司"], &[
        need(HYDROCHLORIC, 1000, 150, 600),
        need(SULFURIC, 600, 80, 400),
    ]),
    industry(8, 900, &["新能源科技有限公司", "锂电材料有限公司", "电池材料有限公司"], &[
        need(SULFURIC, 1000, 100, 500),
        need(HYDROCHLORIC, 500, 40, 200),
        need(ACETONE, 300, 5, 20),
    ]),
    industry(8, 800, &["水务有限公司", "环保科技有限公司", "污水处理有限公司"], &[
        need(PERMANGANATE, 900, 2, 15),
        need(HYDROCHLORIC, 500, 10, 60),
        need(SULFURIC, 400, 10, 50),
    ]),
    industry(7, 750, &["制药有限公司", "药业有限公司", "生物医药有限公司"], &[
        need(ACETONE, 900, 5, 40),
        need(TOLUENE, 600, 5, 30),
        need(ANHYDRIDE, 500, 2, 15),
        need(HYDROCHLORIC, 500, 5, 30),
        need(CHLOROFORM, 200, 1, 6),
        need(PHENYLACETIC, 150, 1, 5),
        need(ANTHRANILIC, 60, 1, 3),
    ]),
    industry(9, 800, &["涂料有限公司", "油墨有限公司", "树脂有限公司"], &[
        need(TOLUENE, 900, 10, 60),
        need(MEK, 700, 5, 40),
        need(ACETONE, 500, 5, 30),
    ]),
    industry(12, 700, &["电机有限公司", "电器有限公司", "机电有限公司"], &[
        need(ACETONE, 800, 1, 8),
        need(MEK, 300, 1, 6),
        need(HYDROCHLORIC, 300, 3, 20),
        need(SULFURIC, 200, 2, 10),
    ]),
    industry(6, 750, &["电子科技有限公司", "电子材料有限公司"], &[
        need(ACETONE, 900, 1, 6),
        need(HYDROCHLORIC, 600, 2, 15),
        need(SULFURIC, 600, 2, 15),
    ]),
    laboratory(9, 350, &["检测技术有限公司", "检验检测有限公司", "分析测试有限公司"], &[
        lab_need(ACETONE, 900, 50, 600),
        lab_need(HYDROCHLORIC, 800, 50, 600),
        lab_need(SULFURIC, 800, 50, 600),
        lab_need(PERMANGANATE, 500, 10, 100),
        lab_need(TOLUENE, 400, 20, 300),
        lab_need(CHLOROFORM, 350, 20, 200),
        lab_need(ETHER, 350, 20, 200),
        lab_need(MEK, 200, 20, 200),
    ]),
    industry(3, 700, &["香料有限公司", "日化有限公司"], &[
        need(PIPERONAL, 700, 1, 3),
        need(ANHYDRIDE, 400, 1, 6),
        need(TOLUENE, 300, 2, 10),
    ]),
    industry(5, 800, &["印染有限公司", "纺织有限公司"], &[
        need(HYDROCHLORIC, 600, 10, 60),
        need(SULFURIC, 600, 10, 60),
        need(PERMANGANATE, 500, 1, 6),
    ]),
    industry(4, 650, &["船舶修造有限公司", "船业有限公司"], &[
        need(TOLUENE, 800, 5, 30),
        need(MEK, 500, 3, 15),
        need(ACETONE, 400, 2, 10),
    ]),
];

/// Public laboratories (事业单位, credit codes starting 12) that a lab-sector user may be.
pub const PUBLIC_LABS: &[&str] = &[
    "疾病预防控制中心",
    "医院",
    "环境监测站",
    "第一中学",
    "质量计量检测所",
];

/// A chemical the demo trades, with its packages and production batch, in thousandths of kg.
pub struct ChemSpec {
    pub cas: &'static str,
    /// Drum, bag or carboy an industrial order is rounded up to.
    pub drum: i64,
    /// Bottle a laboratory order is rounded up to.
    pub bottle: i64,
    /// Smallest production batch.
    pub batch: i64,
}

const fn chem(cas: &'static str, drum: i64, bottle: i64, batch: i64) -> ChemSpec {
    ChemSpec {
        cas,
        drum,
        bottle,
        batch,
    }
}

#[rustfmt::skip] // a table: CAS, drum, bottle, batch
pub const CHEMICALS: &[ChemSpec] = &[
    chem(ACETONE,      160_000, 1_975,  5_000_000),
    chem(TOLUENE,      170_000, 2_175,  5_000_000),
    chem(MEK,          165_000, 2_000,  3_000_000),
    chem(PERMANGANATE,  25_000,   500,  2_000_000),
    chem(SULFURIC,      25_000,   920, 20_000_000),
    chem(HYDROCHLORIC,  25_000,   595, 20_000_000),
    chem(ANHYDRIDE,    200_000,   540,  2_000_000),
    chem(CHLOROFORM,   250_000,   740,  1_000_000),
    chem(ETHER,        140_000,   355,    500_000),
    chem(PHENYLACETIC,  25_000,   500,    500_000),
    chem(ANTHRANILIC,   25_000,   500,    200_000),
    chem(PIPERONAL,     25_000,   500,    100_000),
];

/// What the n-th producer makes (cycled). The first line must hold a category-3 and a
/// category-2 chemical: the documented gaps are injected around the first producer.
pub const PRODUCT_LINES: &[&[&str]] = &[
    &[ACETONE, TOLUENE, ANHYDRIDE],
    &[SULFURIC, HYDROCHLORIC],
    &[PERMANGANATE, MEK],
    &[CHLOROFORM, ETHER],
    &[PHENYLACETIC, ANTHRANILIC],
    &[HYDROCHLORIC, SULFURIC],
    &[ANHYDRIDE, PIPERONAL],
    &[TOLUENE, MEK, ACETONE],
    &[SULFURIC, HYDROCHLORIC, PERMANGANATE],
];

/// Outside parties (not registered here): suppliers and customers in other cities.
pub struct OutsideParty {
    pub name: &'static str,
    pub region: &'static str,
    pub permit_no: &'static str,
    /// Prefix of its lot and waybill numbers.
    pub code: &'static str,
    pub sells: bool,
}

const fn seller(
    name: &'static str,
    region: &'static str,
    permit_no: &'static str,
    code: &'static str,
) -> OutsideParty {
    OutsideParty {
        name,
        region,
        permit_no,
        code,
        sells: true,
    }
}

const fn buyer(
    name: &'static str,
    region: &'static str,
    permit_no: &'static str,
    code: &'static str,
) -> OutsideParty {
    OutsideParty {
        sells: false,
        ..seller(name, region, permit_no, code)
    }
}

#[rustfmt::skip] // a table: name, region, permit or filing number, code
pub const OUTSIDE_PARTIES: &[OutsideParty] = &[
    seller("福清江阴港化工贸易有限公司", "350181", "闽榕易制经〔2024〕0037号", "JY"),
    seller("泉州泉港石化物资有限公司", "350505", "闽泉易制经〔2024〕0112号", "QG"),
    seller("衢州巨源化学有限公司", "330802", "浙衢易制生〔2023〕0009号", "QZ"),
    seller("南通洋口精细化工有限公司", "320623", "苏通易制生〔2024〕0021号", "YK"),
    buyer("南平闽北制药有限公司", "350702", "闽南平易制购备〔2025〕0016号", "MB"),
    buyer("温州瓯海五金电镀有限公司", "330304", "浙温易制购备〔2025〕0208号", "OH"),
    buyer("莆田涵江检测技术有限公司", "350303", "闽莆易制购备〔2025〕0077号", "HJ"),
    buyer("丽水青田不锈钢制品有限公司", "331121", "浙丽易制购备〔2025〕0031号", "QT"),
];

/// People who buy at the producer's counter (names and resident ID numbers invented, with valid
/// check characters): the documented sale to an individual and its lawful category-3 twin.
pub struct Person {
    pub name: &'static str,
    pub resident_id: &'static str,
}

pub const PEOPLE: &[Person] = &[
    Person {
        name: "林志强",
        resident_id: "350902197805122317",
    },
    Person {
        name: "陈秀英",
        resident_id: "350981198511030628",
    },
];

pub const LOSS_REASONS: &[&str] = &[
    "搬运过程中包装桶破损泄漏，已按应急预案处置",
    "管道阀门渗漏，已维修",
    "取样检测损耗",
    "装卸时包装袋破损撒漏",
];

pub const DISPOSAL_NOTE: &str = "过期试剂，交由有资质单位处置";
pub const STOCKTAKE_NOTE: &str = "月末盘点";
pub const REVERSAL_NOTE: &str = "数量录入错误，冲销";
pub const REFILE_NOTE: &str = "更正：原记录数量录入错误";
pub const USE_NOTES: &[&str] = &["生产领用", "车间领用", "工艺投料"];
pub const LAB_USE_NOTE: &str = "实验领用";
pub const PRODUCTION_NOTE: &str = "生产入库";

/// Words for readable demo passwords.
pub const PASSWORD_WORDS: &[&str] = &[
    "amber", "harbor", "lotus", "granite", "willow", "copper", "meadow", "orchid", "summit",
    "cedar", "falcon", "river", "lantern", "pepper", "silver", "tidal", "maple", "quartz",
    "breeze", "ember", "indigo", "juniper", "kestrel", "lagoon", "marble", "nectar", "oasis",
    "pebble", "raven", "saffron", "thistle", "velvet",
];
