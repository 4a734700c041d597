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

pub const REGIONS: &[Region] = &[
    Region {
        code: "350902",
        prefix: "宁德市蕉城区",
        abbr: "蕉",
        areas: &[
            "漳湾镇",
            "七都镇三屿园区",
            "东侨经济技术开发区",
            "金涵畲族乡",
            "飞鸾镇",
            "城南镇",
        ],
        weight: 22,
        producer_weight: 5,
    },
    Region {
        code: "350921",
        prefix: "霞浦县",
        abbr: "霞",
        areas: &["松城街道", "溪南镇", "长春镇", "牙城镇"],
        weight: 12,
        producer_weight: 1,
    },
    Region {
        code: "350922",
        prefix: "古田县",
        abbr: "古",
        areas: &["城东街道", "大桥镇", "鹤塘镇", "黄田镇"],
        weight: 10,
        producer_weight: 1,
    },
    Region {
        code: "350923",
        prefix: "屏南县",
        abbr: "屏",
        areas: &["古峰镇", "双溪镇", "路下乡"],
        weight: 5,
        producer_weight: 0,
    },
    Region {
        code: "350924",
        prefix: "寿宁县",
        abbr: "寿",
        areas: &["鳌阳镇", "南阳镇", "斜滩镇"],
        weight: 5,
        producer_weight: 0,
    },
    Region {
        code: "350925",
        prefix: "周宁县",
        abbr: "周",
        areas: &["狮城镇", "咸村镇", "七步镇"],
        weight: 4,
        producer_weight: 0,
    },
    Region {
        code: "350926",
        prefix: "柘荣县",
        abbr: "柘",
        areas: &["双城镇", "富溪镇", "城郊乡"],
        weight: 6,
        producer_weight: 0,
    },
    Region {
        code: "350981",
        prefix: "福安市",
        abbr: "安",
        areas: &[
            "湾坞工业区",
            "赛岐经济开发区",
            "甘棠镇",
            "阳头街道",
            "城北街道",
        ],
        weight: 20,
        producer_weight: 4,
    },
    Region {
        code: "350982",
        prefix: "福鼎市",
        abbr: "鼎",
        areas: &[
            "龙安工业园区",
            "文渡工业区",
            "店下镇",
            "太姥山镇",
            "星火工业园",
        ],
        weight: 16,
        producer_weight: 3,
    },
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

pub const SECTORS: &[Sector] = &[
    Sector {
        weight: 14,
        suffixes: &["电镀有限公司", "表面处理有限公司", "金属制品有限公司"],
        lab: false,
        use_per_mille: 850,
        needs: &[
            need(HYDROCHLORIC, 900, 20, 150),
            need(SULFURIC, 700, 20, 120),
            need(PERMANGANATE, 100, 1, 3),
        ],
    },
    Sector {
        weight: 6,
        suffixes: &["不锈钢有限公司", "特钢有限公司", "金属材料有限公司"],
        lab: false,
        use_per_mille: 900,
        needs: &[
            need(HYDROCHLORIC, 1000, 150, 600),
            need(SULFURIC, 600, 80, 400),
        ],
    },
    Sector {
        weight: 8,
        suffixes: &["新能源科技有限公司", "锂电材料有限公司", "电池材料有限公司"],
        lab: false,
        use_per_mille: 900,
        needs: &[
            need(SULFURIC, 1000, 100, 500),
            need(HYDROCHLORIC, 500, 40, 200),
            need(ACETONE, 300, 5, 20),
        ],
    },
    Sector {
        weight: 8,
        suffixes: &["水务有限公司", "环保科技有限公司", "污水处理有限公司"],
        lab: false,
        use_per_mille: 800,
        needs: &[
            need(PERMANGANATE, 900, 2, 15),
            need(HYDROCHLORIC, 500, 10, 60),
            need(SULFURIC, 400, 10, 50),
        ],
    },
    Sector {
        weight: 7,
        suffixes: &["制药有限公司", "药业有限公司", "生物医药有限公司"],
        lab: false,
        use_per_mille: 750,
        needs: &[
            need(ACETONE, 900, 5, 40),
            need(TOLUENE, 600, 5, 30),
            need(ANHYDRIDE, 500, 2, 15),
            need(HYDROCHLORIC, 500, 5, 30),
            need(CHLOROFORM, 200, 1, 6),
            need(PHENYLACETIC, 150, 1, 5),
            need(ANTHRANILIC, 60, 1, 3),
        ],
    },
    Sector {
        weight: 9,
        suffixes: &["涂料有限公司", "油墨有限公司", "树脂有限公司"],
        lab: false,
        use_per_mille: 800,
        needs: &[
            need(TOLUENE, 900, 10, 60),
            need(MEK, 700, 5, 40),
            need(ACETONE, 500, 5, 30),
        ],
    },
    Sector {
        weight: 12,
        suffixes: &["电机有限公司", "电器有限公司", "机电有限公司"],
        lab: false,
        use_per_mille: 700,
        needs: &[
            need(ACETONE, 800, 1, 8),
            need(MEK, 300, 1, 6),
            need(HYDROCHLORIC, 300, 3, 20),
            need(SULFURIC, 200, 2, 10),
        ],
    },
    Sector {
        weight: 6,
        suffixes: &["电子科技有限公司", "电子材料有限公司"],
        lab: false,
        use_per_mille: 750,
        needs: &[
            need(ACETONE, 900, 1, 6),
            need(HYDROCHLORIC, 600, 2, 15),
            need(SULFURIC, 600, 2, 15),
        ],
    },
    Sector {
        weight: 9,
        suffixes: &["检测技术有限公司", "检验检测有限公司", "分析测试有限公司"],
        lab: true,
        use_per_mille: 350,
        needs: &[
            lab_need(ACETONE, 900, 50, 600),
            lab_need(HYDROCHLORIC, 800, 50, 600),
            lab_need(SULFURIC, 800, 50, 600),
            lab_need(PERMANGANATE, 500, 10, 100),
            lab_need(TOLUENE, 400, 20, 300),
            lab_need(CHLOROFORM, 350, 20, 200),
            lab_need(ETHER, 350, 20, 200),
            lab_need(MEK, 200, 20, 200),
        ],
    },
    Sector {
        weight: 3,
        suffixes: &["香料有限公司", "日化有限公司"],
        lab: false,
        use_per_mille: 700,
        needs: &[
            need(PIPERONAL, 700, 1, 3),
            need(ANHYDRIDE, 400, 1, 6),
            need(TOLUENE, 300, 2, 10),
        ],
    },
    Sector {
        weight: 5,
        suffixes: &["印染有限公司", "纺织有限公司"],
        lab: false,
        use_per_mille: 800,
        needs: &[
            need(HYDROCHLORIC, 600, 10, 60),
            need(SULFURIC, 600, 10, 60),
            need(PERMANGANATE, 500, 1, 6),
        ],
    },
    Sector {
        weight: 4,
        suffixes: &["船舶修造有限公司", "船业有限公司"],
        lab: false,
        use_per_mille: 650,
        needs: &[
            need(TOLUENE, 800, 5, 30),
            need(MEK, 500, 3, 15),
            need(ACETONE, 400, 2, 10),
        ],
    },
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

pub const CHEMICALS: &[ChemSpec] = &[
    ChemSpec {
        cas: ACETONE,
        drum: 160_000,
        bottle: 1_975,
        batch: 5_000_000,
    },
    ChemSpec {
        cas: TOLUENE,
        drum: 170_000,
        bottle: 2_175,
        batch: 5_000_000,
    },
    ChemSpec {
        cas: MEK,
        drum: 165_000,
        bottle: 2_000,
        batch: 3_000_000,
    },
    ChemSpec {
        cas: PERMANGANATE,
        drum: 25_000,
        bottle: 500,
        batch: 2_000_000,
    },
    ChemSpec {
        cas: SULFURIC,
        drum: 25_000,
        bottle: 920,
        batch: 20_000_000,
    },
    ChemSpec {
        cas: HYDROCHLORIC,
        drum: 25_000,
        bottle: 595,
        batch: 20_000_000,
    },
    ChemSpec {
        cas: ANHYDRIDE,
        drum: 200_000,
        bottle: 540,
        batch: 2_000_000,
    },
    ChemSpec {
        cas: CHLOROFORM,
        drum: 250_000,
        bottle: 740,
        batch: 1_000_000,
    },
    ChemSpec {
        cas: ETHER,
        drum: 140_000,
        bottle: 355,
        batch: 500_000,
    },
    ChemSpec {
        cas: PHENYLACETIC,
        drum: 25_000,
        bottle: 500,
        batch: 500_000,
    },
    ChemSpec {
        cas: ANTHRANILIC,
        drum: 25_000,
        bottle: 500,
        batch: 200_000,
    },
    ChemSpec {
        cas: PIPERONAL,
        drum: 25_000,
        bottle: 500,
        batch: 100_000,
    },
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

pub const OUTSIDE_PARTIES: &[OutsideParty] = &[
    OutsideParty {
        name: "福清江阴港化工贸易有限公司",
        region: "350181",
        permit_no: "闽榕易制经〔2024〕0037号",
        code: "JY",
        sells: true,
    },
    OutsideParty {
        name: "泉州泉港石化物资有限公司",
        region: "350505",
        permit_no: "闽泉易制经〔2024〕0112号",
        code: "QG",
        sells: true,
    },
    OutsideParty {
        name: "衢州巨源化学有限公司",
        region: "330802",
        permit_no: "浙衢易制生〔2023〕0009号",
        code: "QZ",
        sells: true,
    },
    OutsideParty {
        name: "南通洋口精细化工有限公司",
        region: "320623",
        permit_no: "苏通易制生〔2024〕0021号",
        code: "YK",
        sells: true,
    },
    OutsideParty {
        name: "南平闽北制药有限公司",
        region: "350702",
        permit_no: "闽南平易制购备〔2025〕0016号",
        code: "MB",
        sells: false,
    },
    OutsideParty {
        name: "温州瓯海五金电镀有限公司",
        region: "330304",
        permit_no: "浙温易制购备〔2025〕0208号",
        code: "OH",
        sells: false,
    },
    OutsideParty {
        name: "莆田涵江检测技术有限公司",
        region: "350303",
        permit_no: "闽莆易制购备〔2025〕0077号",
        code: "HJ",
        sells: false,
    },
    OutsideParty {
        name: "丽水青田不锈钢制品有限公司",
        region: "331121",
        permit_no: "浙丽易制购备〔2025〕0031号",
        code: "QT",
        sells: false,
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
