"""Synthetic Chinese personal names, phone numbers and place names for the demo district.

Every name made here is invented: a common surname drawn by rough frequency
and a one- or two-character given name drawn from characters often used in
names. Any resemblance to a real person is chance. Phone numbers are
sequential in the block 199-00xx-xxxx and are synthetic too, as are the road,
shop and company names put together from ordinary words.

Everything is drawn from the `random.Random` passed in, so one seed always
gives the same people.
"""
import random

# Common surnames with rough relative weights (most frequent first).
SURNAMES = (
    ("王", 72), ("李", 71), ("张", 69), ("刘", 55), ("陈", 49), ("杨", 38), ("黄", 26), ("赵", 24),
    ("吴", 22), ("周", 22), ("徐", 17), ("孙", 16), ("马", 15), ("朱", 14), ("胡", 13), ("郭", 12),
    ("何", 12), ("林", 11), ("罗", 11), ("高", 11), ("郑", 10), ("梁", 9), ("谢", 9), ("宋", 8),
    ("唐", 8), ("许", 8), ("韩", 7), ("邓", 7), ("冯", 7), ("曹", 7), ("彭", 7), ("曾", 6),
    ("肖", 6), ("田", 6), ("董", 6), ("潘", 5), ("袁", 5), ("蔡", 5), ("蒋", 5), ("余", 5),
    ("于", 5), ("杜", 5), ("叶", 5), ("程", 4), ("魏", 4), ("苏", 4), ("吕", 4), ("丁", 4),
    ("任", 4), ("卢", 4), ("姚", 4), ("沈", 4), ("钟", 4), ("姜", 4), ("崔", 3), ("谭", 3),
    ("陆", 3), ("范", 3), ("汪", 3), ("廖", 3), ("石", 3), ("金", 3), ("韦", 3), ("贾", 3),
    ("夏", 3), ("付", 3), ("方", 3), ("邹", 3), ("熊", 3), ("白", 3), ("孟", 3), ("秦", 3),
    ("邱", 3), ("侯", 3), ("江", 3), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2), ("雷", 2),
    ("龙", 2), ("黎", 2), ("史", 2), ("陶", 2), ("贺", 2), ("毛", 2), ("郝", 2), ("顾", 2),
    ("龚", 2), ("邵", 2), ("万", 2), ("覃", 2), ("武", 2), ("钱", 2), ("戴", 2), ("严", 2),
    ("欧阳", 1), ("司马", 1), ("诸葛", 1),
)

GIVEN_CHARACTERS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国志红梅文辉玉萍鹏飞宇"
    "欣怡子涵浩然雨轩梓晨思彤佳琪俊杰博文晓燕丹阳春雪婷慧琳嘉欣心悦一鸣天佑诗雨"
    "海燕小龙德胜家豪永庆淑贤秋菊冬梅蓉川蜀锦瑞祥和安康宁远清泉凤兰桂芝荣亮成"
)

_SURNAME_CHOICES = [s for s, _ in SURNAMES]
_SURNAME_WEIGHTS = [w for _, w in SURNAMES]

# 199-00xx-xxxx: a block used only for synthetic numbers in this project.
PHONE_PREFIX = "19900"


def person_name(rng: random.Random) -> str:
    """One synthetic name: surname + one or two given-name characters."""
    surname = rng.choices(_SURNAME_CHOICES, weights=_SURNAME_WEIGHTS)[0]
    length = 1 if rng.random() < 0.3 else 2
    return surname + "".join(rng.choice(GIVEN_CHARACTERS) for _ in range(length))


class PhoneBook:
    """Hands out distinct synthetic mobile numbers: 19900000001, 19900000002, ..."""

    def __init__(self, start: int = 1):
        self._next = start

    def next(self) -> str:
        number = f"{PHONE_PREFIX}{self._next:06d}"
        self._next += 1
        return number


# Given-name characters leaning one way or the other, for people whose sex is
# fixed by their ID number. Both pools are invented names' usual material.
MALE_CHARACTERS = (
    "伟强磊军洋勇杰涛明超刚华建国志鹏飞宇浩然轩晨俊博文鸣天佑德胜家豪永庆川蜀瑞祥安康宁远"
    "清泉亮成斌波辉峰林平东海龙江卫兵光荣中华子睿梓航宇泽皓轩铭"
)
FEMALE_CHARACTERS = (
    "芳娜秀英敏静丽艳娟兰霞桂玉萍红梅欣怡涵雨萱彤佳琪晓燕丹春雪婷慧琳嘉心悦诗淑贤秋菊"
    "冬蓉凤芝莉琴云洁倩颖玲蕾薇梦瑶晶璐思雅可馨若溪"
)


def surname(rng: random.Random) -> str:
    return rng.choices(_SURNAME_CHOICES, weights=_SURNAME_WEIGHTS)[0]


def given_name(rng: random.Random, sex: str) -> str:
    """One or two given-name characters, mostly from the pool of the person's sex ('M' or 'F')."""
    own = MALE_CHARACTERS if sex == "M" else FEMALE_CHARACTERS
    pool = own if rng.random() < 0.85 else GIVEN_CHARACTERS
    length = 1 if rng.random() < 0.25 else 2
    return "".join(rng.choice(pool) for _ in range(length))


# Synthetic place names: road stems and suffixes. Stems are ordinary words; a
# road made from them is invented even where a real one happens to share it.
ROAD_STEMS = (
    "锦华", "蓉城", "桂溪", "芳草", "紫荆", "金竹", "红牌", "清水", "玉兰", "龙腾", "永丰", "新南",
    "望江", "丽都", "翠柏", "棕树", "晋阳", "双楠", "盛和", "天府", "和平", "光华", "长寿", "佳苑",
    "松林", "兴蓉", "蜀锦", "锦绣", "文昌", "青石", "石羊", "浣花", "百花", "荷花", "桐荫", "顺和",
)
ROAD_SUFFIXES = ("路", "街", "北路", "南路", "东路", "西路", "中路", "一街", "二街", "巷", "横街", "大道")
WORD_STEMS = ("锦", "蓉", "华", "川", "蜀", "瑞", "祥", "天", "府", "和", "鑫", "博", "汇", "联", "盛", "恒",
              "创", "兴", "嘉", "宏", "信", "达", "新", "安", "佳", "优", "诚", "德", "泰", "鸿", "耀", "景")


def road_name(rng: random.Random, stem: str | None = None) -> str:
    """A synthetic road name such as 芳草北路."""
    return (stem or rng.choice(ROAD_STEMS)) + rng.choice(ROAD_SUFFIXES)


def trade_name(rng: random.Random) -> str:
    """Two characters for a shop or company name (锦盛, 瑞达, ...)."""
    return "".join(rng.sample(WORD_STEMS, 2))
