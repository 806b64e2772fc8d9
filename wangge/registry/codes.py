"""Code tables used by the registry.

ETHNICITIES is GB/T 3304-1991 (中国各民族名称的罗马字母拼写法和代码), numeric codes.
"""
from django.utils.translation import pgettext, pgettext_lazy

ETHNICITIES = {
    "01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "06": "苗族", "07": "彝族",
    "08": "壮族", "09": "布依族", "10": "朝鲜族", "11": "满族", "12": "侗族", "13": "瑶族", "14": "白族",
    "15": "土家族", "16": "哈尼族", "17": "哈萨克族", "18": "傣族", "19": "黎族", "20": "傈僳族", "21": "佤族",
    "22": "畲族", "23": "高山族", "24": "拉祜族", "25": "水族", "26": "东乡族", "27": "纳西族", "28": "景颇族",
    "29": "柯尔克孜族", "30": "土族", "31": "达斡尔族", "32": "仫佬族", "33": "羌族", "34": "布朗族", "35": "撒拉族",
    "36": "毛南族", "37": "仡佬族", "38": "锡伯族", "39": "阿昌族", "40": "普米族", "41": "塔吉克族", "42": "怒族",
    "43": "乌孜别克族", "44": "俄罗斯族", "45": "鄂温克族", "46": "德昂族", "47": "保安族", "48": "裕固族",
    "49": "京族", "50": "塔塔尔族", "51": "独龙族", "52": "鄂伦春族", "53": "赫哲族", "54": "门巴族", "55": "珞巴族",
    "56": "基诺族", "97": "其他未识别民族", "98": "外国血统中国籍人士",
}
ETHNICITY_BY_NAME = {name: code for code, name in ETHNICITIES.items()}

# The names a page shows, in its reader's language: English message ids (msgctxt "ethnicity") whose Chinese in
# the catalogue is the standard's name above. Imports, exports and the API keep the standard's Chinese names.
_ENGLISH = (
    "Han", "Mongol", "Hui", "Tibetan", "Uyghur", "Miao", "Yi", "Zhuang", "Bouyei", "Korean", "Manchu", "Dong",
    "Yao", "Bai", "Tujia", "Hani", "Kazakh", "Dai", "Li", "Lisu", "Wa", "She", "Gaoshan", "Lahu", "Shui",
    "Dongxiang", "Naxi", "Jingpo", "Kyrgyz", "Tu", "Daur", "Mulao", "Qiang", "Blang", "Salar", "Maonan", "Gelao",
    "Xibe", "Achang", "Pumi", "Tajik", "Nu", "Uzbek", "Russian", "Evenki", "De'ang", "Bonan", "Yugur", "Gin",
    "Tatar", "Derung", "Oroqen", "Hezhen", "Monba", "Lhoba", "Jino", "Other, not identified",
    "Chinese citizen of foreign origin",
)
ETHNICITY_CHOICES = [(code, pgettext_lazy("ethnicity", english)) for code, english in zip(ETHNICITIES, _ENGLISH,
                                                                                           strict=True)]

# The default care and special groups (GB/T 31000-2015 9+X, created by registry migration 0002): code -> (the
# standard's Chinese name, an English message id of msgctxt "tag" whose Chinese in the catalogue is that name).
# A page shows a default group in its reader's language while its name is still the standard's; a group renamed
# by an administrator, or a local one, shows its name as entered. Imports, exports and the API keep the names.
DEFAULT_TAGS = {
    "left_behind_child": ("留守儿童", "Left-behind child"),
    "children_in_difficulty": ("困境儿童", "Child in difficulty"),
    "empty_nest_elder": ("空巢老人", "Empty-nest elder"),
    "elder_living_alone": ("独居老人", "Elder living alone"),
    "disabled": ("残疾人", "Person with a disability"),
    "subsistence": ("低保/特困", "Subsistence allowance"),
    "veteran": ("退役军人", "Veteran"),
    "serious_illness": ("大病重病", "Serious illness"),
    "community_correction": ("社区矫正人员", "Under community correction"),
    "released_prisoner": ("刑满释放人员", "Released prisoner"),
    "drug_user": ("吸毒人员", "Drug user"),
    "severe_mental_disorder": ("严重精神障碍患者", "Severe mental disorder"),
    "aids_risk": ("艾滋病危险人员", "HIV risk"),
    "key_youth": ("重点青少年", "Youth at risk"),
    "key_petitioner": ("信访重点人员", "Key petitioner"),
}


def tag_message(code: str, name: str) -> str | None:
    """The English message id of a default group still named as the standard names it; None otherwise."""
    default = DEFAULT_TAGS.get(code)
    return default[1] if default and default[0] == name else None


def tag_label(code: str, name: str) -> str:
    """A group's name in the reader's language (see DEFAULT_TAGS)."""
    message = tag_message(code, name)
    return pgettext("tag", message) if message else name
