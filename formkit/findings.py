"""Findings: problems found in users' data, as data.

Every check in formkit yields `Finding` objects built from one `Code`. Reports, JSON output,
feedback to units and tests all read the same objects, so a code never changes its meaning.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from enum import Enum, StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_LABELS = {Severity.ERROR: "Lỗi", Severity.WARNING: "Cảnh báo", Severity.INFO: "Thông tin"}


@dataclass(frozen=True)
class Finding:
    """One problem, located as precisely as its source allows."""

    code: str
    severity: Severity
    message: str
    file: str | None = None
    line: int | None = None
    sheet: str | None = None
    cell: str | None = None
    item: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def location(self) -> str:
        """'file, dòng 12, mục 3.2.1' — where to look, in Vietnamese."""
        parts = [self.file] if self.file else []
        if self.line is not None:
            parts.append(f"dòng {self.line}")
        if self.sheet:
            parts.append(f"trang tính '{self.sheet}'")
        if self.cell:
            parts.append(f"ô {self.cell}")
        if self.item:
            parts.append(f"mục {self.item}")
        return ", ".join(parts)

    def describe(self) -> str:
        where = self.location()
        label = SEVERITY_LABELS[self.severity]
        return f"{label} [{self.code}] {where}: {self.message}" if where else f"{label}: {self.message}"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.is_error for f in findings)


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """In reading order: by file, then line (findings without a line first)."""
    return sorted(findings, key=lambda f: (f.file or "", f.line or 0))


def _vietnamese_number(value: Decimal) -> str:
    """Points in messages as staff write them: 4,6 not 4.6; no trailing zeros."""
    return format(value.normalize(), "f").replace(".", ",")


E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741


class Code(Enum):
    """Every finding formkit can report: (code, severity, title, Vietnamese message template)."""

    # Files and YAML syntax
    FILE_MISSING = ("file.missing", E, "File not found",
                    "Không tìm thấy tệp. Kiểm tra lại đường dẫn.")
    FILE_UNREADABLE = ("file.unreadable", E, "File cannot be read",
                       "Không đọc được tệp: {detail}.")
    YAML_SYNTAX = ("yaml.syntax", E, "YAML syntax error",
                   "Tệp sai cú pháp YAML: {detail}. Sửa dòng được chỉ ra (thường là thụt lề "
                   "hoặc thiếu dấu hai chấm).")
    YAML_DUPLICATE_KEY = ("yaml.duplicate_key", E, "Key given twice",
                          "Khóa '{key}' được khai báo hai lần (lần đầu ở dòng {first_line}). "
                          "Xóa một trong hai.")
    # Generic structure
    UNKNOWN_KEY = ("schema.unknown_key", E, "Unknown key",
                   "Khóa '{key}' không được hỗ trợ (có thể gõ sai). Các khóa hợp lệ: {allowed}.")
    MISSING_KEY = ("schema.missing_key", E, "Required key missing",
                   "Thiếu khóa bắt buộc '{key}'.")
    WRONG_TYPE = ("schema.wrong_type", E, "Value of the wrong type",
                  "Giá trị của '{key}' phải là {expected}, nhưng đang là '{value}'.")
    BAD_VALUE = ("schema.bad_value", E, "Value not allowed",
                 "Giá trị '{value}' của '{key}' không hợp lệ: {reason}.")
    IMPOSSIBLE_DATE = ("schema.impossible_date", E, "Date that does not exist",
                       "Ngày '{value}' của '{key}' không có thật ({reason}). Sửa lại cho đúng ngày "
                       "(viết dạng yyyy-mm-dd hoặc dd/mm/yyyy).")
    TEXT_NOT_NFC = ("text.not_nfc", W, "Text not in Unicode NFC",
                    "Văn bản của '{key}' không ở dạng Unicode dựng sẵn (NFC); formkit đã chuẩn hóa. "
                    "Nên lưu tệp bằng bộ gõ Unicode dựng sẵn.")
    # Campaign year (formkit check: dates, validity of catalogues, placeholders)
    DATE_ORDER = ("campaign.date_order", E, "Dates out of order",
                  "{later_key} ({later}) sớm hơn {earlier_key} ({earlier}, dòng "
                  "{earlier_line}), trái với trình tự của đợt đánh giá: {order}. Sửa lại một "
                  "trong hai ngày.")
    DATE_OUTSIDE_YEAR = ("campaign.date_outside_year", E, "Date outside the campaign's window",
                         "{key} ({value}) nằm ngoài khoảng thời gian của đợt đánh giá năm "
                         "{year} (từ {first} đến {last}). Kiểm tra lại năm của ngày này.")
    NOT_VALID_FOR_YEAR = ("campaign.not_valid_for_year", E, "Catalogue or questionnaire not valid this year",
                          "{kind} {name} áp dụng cho {years}, không áp dụng cho đợt đánh giá năm "
                          "{year}. Thay bằng {kind_lower} áp dụng cho năm {year} (sửa mục "
                          "'{key}' của campaign.yaml), hoặc, nếu Thành phố vẫn giữ nguyên "
                          "{kind_lower} này, sửa 'valid_years' trong tệp {name}.")
    CARRIED_OVER = ("campaign.carried_over", W, "Carried over from last year, not yet confirmed",
                    "Dòng này được chuyển từ cấu hình năm {from_year} ({what}) và chưa được xác "
                    "nhận. Kiểm tra lại giá trị cho năm nay rồi xóa ghi chú '# chuyển từ năm "
                    "{from_year} ...' ở cuối dòng.")
    PLACEHOLDER = ("campaign.placeholder", W, "Example value left in the settings",
                   "Giá trị '{value}' của '{key}' là giá trị mẫu ({reason}). Thay bằng thông tin "
                   "thật trước khi phát hành biểu mẫu và văn bản.")
    BLANK_VALUE = ("campaign.blank", W, "Value left blank",
                   "Chưa khai báo {what} ('{key}'). {advice}")
    # Criteria catalogue
    CODE_FORMAT = ("catalog.code_format", E, "Malformed item code",
                   "Mã '{code}' không đúng dạng số phân cấp 1 đến 3 mức (ví dụ 3, 3.2, 3.2.1).")
    DUPLICATE_CODE = ("catalog.duplicate_code", E, "Item code given twice",
                      "Mã '{code}' bị trùng (đã khai báo ở dòng {first_line}). Đặt mã khác.")
    ORPHAN = ("catalog.orphan", E, "Item without its parent",
              "Mục '{code}' không có mục cha '{parent}' đứng trước nó. Thêm mục cha hoặc sửa mã.")
    MISSING_TEXT = ("catalog.missing_text", E, "Item without text",
                    "Mục '{code}' thiếu nội dung (text).")
    NEGATIVE_POINTS = ("catalog.negative_points", E, "Negative points",
                       "Điểm '{key}' của mục '{code}' là số âm ({value}); điểm phải từ 0 trở lên.")
    OFF_STEP = ("catalog.off_step", E, "Points off the score step",
                "Điểm '{key}' = {value} của mục '{code}' không là bội số của bước điểm {step}.")
    GROUP_WITHOUT_MAX = ("catalog.group_without_max", E, "Group item without max",
                         "Mục '{code}' có mục con nên phải khai báo điểm tối đa 'max'.")
    GROUP_WITH_LEAF_KEYS = ("catalog.group_with_leaf_keys", E, "Group item with leaf keys",
                            "Mục '{code}' có mục con nên không được khai báo '{key}'; đặt điểm "
                            "và thông tin chấm điểm ở các tiêu chí thành phần.")
    POINTS_MISMATCH = ("catalog.points_mismatch", E, "Children do not add up to the parent",
                       "Tổng điểm các mục con của '{code}' là {children_sum}, khác điểm tối đa "
                       "{declared} đã khai báo.")
    TOTAL_MISMATCH = ("catalog.total_mismatch", E, "Areas do not add up to the total",
                      "Tổng điểm các lĩnh vực là {areas_sum}, khác tổng điểm {declared} khai báo ở "
                      "'total_points'.")
    LEAF_WITHOUT_POINTS = ("catalog.leaf_without_points", E, "Leaf with no points",
                           "Tiêu chí '{code}' không có điểm (appraisal và survey đều bằng 0).")
    LEAF_MAX_MISMATCH = ("catalog.leaf_max_mismatch", E, "Leaf max differs from its points",
                         "Tiêu chí '{code}' khai báo max = {declared} nhưng appraisal + survey = "
                         "{points}.")
    EMPTY_CATALOG = ("catalog.empty", E, "Catalogue without items",
                     "Bộ tiêu chí không có mục nào trong 'items'.")
    UNKNOWN_UNIT_IN_CATALOG = ("catalog.unknown_unit", E, "Unknown unit in not_applicable_to",
                               "Mục '{code}' ghi không áp dụng cho đơn vị '{unit}', nhưng không có "
                               "đơn vị {unit_type} nào mang mã này.")
    # Survey: scales, groups, questionnaires
    DUPLICATE_SCALE = ("survey.duplicate_scale", E, "Scale code given twice",
                       "Thang đo '{code}' bị trùng (đã khai báo ở dòng {first_line}).")
    DUPLICATE_OPTION = ("survey.duplicate_option", E, "Option code given twice",
                        "Phương án '{option}' của thang đo '{code}' bị trùng.")
    BAD_FRACTION = ("survey.bad_fraction", E, "Option fraction outside 0..1",
                    "Phương án '{option}' của thang đo '{code}' phải có 'fraction' từ 0 đến 1 "
                    "(hoặc là phương án không trả lời, 'no_answer: true').")
    TOO_FEW_OPTIONS = ("survey.too_few_options", E, "Scale with fewer than two scored options",
                       "Thang đo '{code}' cần ít nhất hai phương án được tính điểm.")
    DUPLICATE_GROUP = ("survey.duplicate_group", E, "Respondent group given twice",
                       "Nhóm đối tượng '{code}' bị trùng (đã khai báo ở dòng {first_line}).")
    DUPLICATE_QUESTION = ("survey.duplicate_question", E, "Question code given twice",
                          "Câu hỏi '{code}' bị trùng trong nhóm '{group}'.")
    UNKNOWN_SCALE = ("survey.unknown_scale", E, "Question uses an unknown scale",
                     "Câu hỏi '{code}' dùng thang đo '{scale}' chưa được khai báo trong 'scales'.")
    UNKNOWN_LEAF = ("survey.unknown_leaf", E, "Question feeds an unknown leaf",
                    "Câu hỏi '{code}' tính điểm cho tiêu chí '{leaf}', nhưng bộ tiêu chí không có "
                    "tiêu chí thành phần này.")
    NOT_SURVEY_LEAF = ("survey.not_survey_leaf", E, "Question feeds a leaf without survey points",
                       "Câu hỏi '{code}' tính điểm cho tiêu chí '{leaf}', nhưng tiêu chí này không "
                       "có điểm điều tra xã hội học.")
    LEAF_NOT_FED = ("survey.leaf_not_fed", E, "Survey points fed by no question",
                    "Tiêu chí '{leaf}' có {points} điểm điều tra xã hội học nhưng không câu hỏi nào "
                    "tính điểm cho nó. Thêm câu hỏi có 'feeds' chứa '{leaf}'.")
    NO_FEEDS = ("survey.no_feeds", E, "Question feeds nothing",
                "Câu hỏi '{code}' không tính điểm cho tiêu chí nào ('feeds' trống).")
    CATALOG_MISMATCH = ("survey.catalog_mismatch", E, "Questionnaire and catalogue disagree",
                        "Bộ phiếu dành cho loại đơn vị '{survey_type}' nhưng bộ tiêu chí '{catalog}' "
                        "dành cho '{catalog_type}'.")
    # Units
    DUPLICATE_UNIT = ("units.duplicate_code", E, "Unit code given twice",
                      "Mã đơn vị '{code}' bị trùng (đã khai báo ở dòng {first_line}).")
    UNKNOWN_UNIT_TYPE = ("units.unknown_type", E, "Unknown unit type",
                         "Loại đơn vị '{value}' không hợp lệ; dùng một trong: {allowed}.")
    BAD_EMAIL = ("units.bad_email", E, "Malformed e-mail address",
                 "Địa chỉ thư điện tử '{value}' của đơn vị '{code}' không đúng dạng.")
    NO_EMAIL = ("units.no_email", W, "Unit without e-mail",
                "Đơn vị '{code}' chưa có địa chỉ thư điện tử; không gửi thư cho đơn vị này được.")

    # Returned files: opening them safely (intake)
    FILE_EMPTY = ("file.empty", E, "Empty file", "Tệp rỗng (0 byte). Gửi lại tệp biểu mẫu đã điền.")
    NOT_SPREADSHEET = ("file.not_spreadsheet", E, "Not a spreadsheet",
                       "Tệp không phải sổ tính Excel mà là {what}. Gửi lại đúng tệp biểu mẫu "
                       "(.xlsx) đã điền.")
    CORRUPT = ("file.corrupt", E, "Corrupt or truncated file",
               "Tệp bị hỏng hoặc không trọn vẹn ({detail}). Mở lại bằng Excel, lưu thành .xlsx và "
               "gửi lại.")
    ENCRYPTED = ("file.encrypted", E, "Password-encrypted workbook",
                 "Tệp được đặt mật khẩu mở nên không đọc được. Mở tệp, bỏ mật khẩu (Tệp > Thông tin "
                 "> Bảo vệ sổ làm việc > Mã hóa bằng mật khẩu, xóa mật khẩu), lưu và gửi lại.")
    LEGACY_XLS = ("file.legacy_xls", E, "Legacy .xls workbook",
                  "Tệp ở định dạng Excel 97-2003 (.xls). Mở đúng tệp biểu mẫu đã nhận, chọn Lưu "
                  "thành > Sổ làm việc Excel (.xlsx) và gửi lại tệp .xlsx.")
    ODS = ("file.ods", E, "OpenDocument spreadsheet",
           "Tệp ở định dạng OpenDocument (.ods). Trong LibreOffice chọn Tệp > Lưu thành, kiểu "
           "\"Excel 2007-365 (.xlsx)\", bấm \"Dùng định dạng Excel\" và gửi lại tệp .xlsx.")
    TOO_LARGE = ("file.too_large", E, "File too large or too compressed",
                 "Tệp quá lớn hoặc có dấu hiệu bất thường ({detail}) nên không được mở. Gửi lại "
                 "đúng tệp biểu mẫu đã điền.")
    UNSAFE_XML = ("file.unsafe_xml", E, "Unsafe XML",
                  "Tệp chứa cấu trúc XML không an toàn ({detail}) nên không được đọc. Gửi lại "
                  "đúng tệp biểu mẫu đã điền.")
    MACROS = ("file.macros", I, "Workbook with macros",
              "Tệp có chứa macro; macro không được chạy, chỉ giá trị các ô được đọc.")
    DUPLICATE_FILE = ("file.duplicate", I, "File already received",
                      "Tệp này đã được nhận trước đây ({first}); không xử lý lại.")
    # Returned files: identity and structure
    NO_IDENTITY = ("form.no_identity", E, "Not a formkit form",
                   "Không tìm thấy thông tin nhận dạng của biểu mẫu. Có thể đơn vị đã chép dữ liệu "
                   "sang sổ tính khác: hãy điền và gửi lại đúng tệp biểu mẫu đã nhận.")
    BAD_SIGNATURE = ("form.bad_signature", E, "Identity signature does not verify",
                     "Thông tin nhận dạng của biểu mẫu không khớp chữ ký ({detail}). Dùng đúng tệp "
                     "biểu mẫu Sở Nội vụ đã gửi, không sửa trang tính ẩn.")
    WRONG_CAMPAIGN = ("form.wrong_campaign", E, "Form of another campaign",
                      "Biểu mẫu thuộc đợt '{campaign}' năm {year}, không phải đợt này. Dùng biểu mẫu "
                      "của đợt đánh giá năm {expected_year}.")
    UNKNOWN_FORM_UNIT = ("form.unknown_unit", E, "Form for an unknown unit",
                         "Biểu mẫu dành cho đơn vị mã '{unit}' không có trong danh sách đơn vị.")
    CATALOG_CHANGED = ("form.catalog_changed", E, "Form of an older catalogue",
                       "Biểu mẫu được lập theo bộ tiêu chí cũ (mã {old}); bộ tiêu chí hiện hành là "
                       "{new}. Điền lại trên biểu mẫu mới.")
    WRONG_KIND = ("form.wrong_kind", E, "Another kind of formkit file",
                  "Tệp này là {what} của formkit, không phải biểu tự đánh giá. Nhận tệp này bằng "
                  "lệnh: {command}.")
    SENDER_MISMATCH = ("form.sender_mismatch", W, "Sent from another address",
                       "Thư gửi từ {sender}, không phải địa chỉ của đơn vị ({expected}).")
    SHEET_MISSING = ("form.sheet_missing", E, "Scoring sheet missing",
                     "Không tìm thấy trang tính '{sheet}'. Không đổi tên hay xóa trang tính; điền "
                     "lại trên tệp biểu mẫu gốc.")
    ROWS_MOVED = ("form.rows_moved", E, "Rows inserted, deleted or moved",
                  "Tiêu chí {code} phải ở dòng {expected} nhưng {found}. Có thể đã chèn, xóa hoặc di "
                  "chuyển hàng; điền lại trên tệp biểu mẫu gốc.")
    LOCKED_CHANGED = ("form.locked_changed", E, "Locked content changed",
                      "Nội dung cố định của tiêu chí {code} ({what}) đã bị sửa: '{found}' thay vì "
                      "'{expected}'. Không sửa các ô khóa; điền lại trên tệp biểu mẫu gốc.")
    PROTECTION_REMOVED = ("form.unprotected", W, "Sheet protection removed",
                          "Bảo vệ trang tính '{sheet}' đã bị gỡ. Số liệu vẫn được kiểm tra đầy đủ.")
    # Returned files: cell values
    SCORE_MISSING = ("score.missing", E, "Score missing",
                     "Chưa chấm điểm tiêu chí {code}. Nhập điểm từ 0 đến {maximum}.")
    SCORE_NOT_NUMBER = ("score.not_a_number", E, "Score is not a number",
                        "Điểm của tiêu chí {code} là '{value}', không phải số. Nhập điểm từ 0 đến "
                        "{maximum}.")
    SCORE_AS_TEXT = ("score.number_as_text", W, "Score typed as text",
                     "Điểm của tiêu chí {code} được nhập dạng chữ ('{value}'); điểm được ghi nhận là "
                     "{number}.")
    SCORE_OUT_OF_RANGE = ("score.out_of_range", E, "Score outside 0..max",
                          "Điểm {value} của tiêu chí {code} nằm ngoài khoảng 0 đến {maximum}.")
    SCORE_OFF_STEP = ("score.off_step", E, "Score off the step",
                      "Điểm {value} của tiêu chí {code} không đúng mức chấm: tiêu chí này chấm theo "
                      "mức {step} điểm. Đề nghị chấm lại.")
    FORMULA_IN_INPUT = ("cell.formula", E, "Formula in an input cell",
                        "Ô nhập liệu của tiêu chí {code} chứa công thức ({formula}). Nhập trực tiếp "
                        "giá trị, không dùng công thức.")
    NO_JUSTIFICATION = ("score.no_justification", E, "Score without evidence or explanation",
                        "Tiêu chí {code} được chấm {value} điểm nhưng không có tài liệu kiểm chứng "
                        "và không có giải trình. Bổ sung một trong hai.")
    TEXT_TOO_LONG = ("text.too_long", E, "Text too long",
                     "Nội dung ô của tiêu chí {code} dài {length} ký tự, vượt giới hạn {limit}. "
                     "Rút gọn nội dung.")
    LEGACY_TEXT = ("text.legacy_encoding", I, "Legacy Vietnamese encoding repaired",
                   "Văn bản ở ô này gõ bằng bảng mã cũ {encoding} (phông {font}); đã được chuyển "
                   "sang Unicode. Nên dùng phông Unicode (Times New Roman) và bộ gõ Unicode.")
    FORMULA_LIKE_TEXT = ("text.formula_like", I, "Text that looks like a formula",
                         "Văn bản bắt đầu bằng '{char}'; trong các tệp tổng hợp được thêm dấu ' phía "
                         "trước để không bị hiểu là công thức.")
    INTERNAL_ERROR = ("intake.internal_error", E, "formkit failed on this file",
                      "Chương trình gặp lỗi khi đọc tệp ({detail}). Tệp đã được lưu trữ; cán bộ "
                      "tiếp nhận báo người quản trị xử lý, đơn vị không cần gửi lại.")
    CACHED_TOTAL = ("total.cached_mismatch", W, "Stored total differs",
                    "Ô tổng của mục {code} ghi {cached} nhưng cộng lại từ các ô điểm là "
                    "{computed}; kết quả được tính theo số cộng lại.")

    # ---- survey entry & collect
    # Survey entry workbooks (formkit.survey.entry_check): the file, then each row and cell.
    ENTRY_NOT_ENTRY_FILE = ("survey.not_entry_file", E, "Not a survey entry workbook",
                            "Tệp này là {what}, không phải tệp nhập phiếu khảo sát. {hint}")
    ENTRY_SURVEY_CHANGED = ("survey.questionnaire_changed", E, "Entry workbook of an older questionnaire",
                            "Tệp nhập phiếu được lập theo bộ phiếu khảo sát cũ (mã {old}); bộ phiếu hiện "
                            "hành là {new}. Tạo lại tệp nhập phiếu (formkit survey entry) và nhập lại.")
    ENTRY_COLUMNS_MOVED = ("survey.columns_moved", E, "Entry columns inserted, deleted or moved",
                           "Cột {column} phải là '{expected}' nhưng đang ghi '{found}'. Có thể đã chèn, xóa "
                           "hoặc di chuyển cột; nhập lại trên tệp nhập phiếu gốc.")
    ENTRY_UNKNOWN_SERIAL = ("survey.unknown_serial", E, "Serial never issued",
                            "Số phiếu '{serial}' không có trong các phiếu đã phát hành (kế hoạch mẫu có thể "
                            "đã đổi). Đối chiếu số phiếu trên phiếu giấy; dòng này không được đọc.")
    ENTRY_SERIAL_NOT_IN_FILE = ("survey.serial_not_in_file", E, "Serial of another entry workbook",
                                "Phiếu {serial} không thuộc tệp nhập này mà thuộc đơn vị {unit}, nhóm "
                                "{group}. Nhập phiếu vào đúng tệp của nó; dòng này không được đọc.")
    ENTRY_SERIAL_MOVED = ("survey.serial_moved", E, "Row does not hold its serial",
                          "Dòng {row} phải là phiếu {expected} nhưng ô số phiếu ghi '{found}'. Có thể đã "
                          "chèn, xóa, sắp xếp hoặc sửa hàng; dòng này không được đọc. Nhập lại trên tệp gốc.")
    ENTRY_DUPLICATE_SERIAL = ("survey.duplicate_serial", E, "Serial twice in one file",
                              "Phiếu {serial} lặp lại ở dòng {row} (dòng của phiếu là {first_row}); dòng "
                              "lặp không được đọc.")
    ENTRY_INVALID_CODE = ("survey.invalid_code", E, "Invalid option code",
                          "Phiếu {serial}, {question}: '{value}' không phải mã hợp lệ (dùng: {allowed}). "
                          "Phiếu chưa được tính cho đến khi sửa và gửi lại tệp.")
    ENTRY_CODE_CASE = ("survey.code_case", W, "Option code typed in another case",
                       "Phiếu {serial}, {question}: ghi '{value}'; formkit đọc là mã '{code}'.")
    ENTRY_PARTLY_ANSWERED = ("survey.partly_answered", W, "Questions left blank",
                             "Phiếu {serial} để trống {count} câu ({questions}); formkit tính là {treated}. "
                             "Nếu phiếu giấy có trả lời, nhập bổ sung và gửi lại tệp.")
    ENTRY_NOT_RETURNED = ("survey.not_returned", I, "Questionnaire not returned",
                          "Phiếu {serial}: {why}; tính là phiếu không thu về.")
    ENTRY_STATUS_CONFLICT = ("survey.status_conflict", E, "Marked not returned but answered",
                             "Phiếu {serial} ghi '{status}' nhưng có {count} câu trả lời. Xóa các câu trả "
                             "lời hoặc bỏ ghi '{status}'; phiếu chưa được tính cho đến khi sửa.")
    ENTRY_MISMATCH = ("survey.double_entry_mismatch", W, "The two entries of a questionnaire differ",
                      "Phiếu {serial}, {question}: bản nhập {copy} ghi '{value}' nhưng bản nhập {other_copy} "
                      "ghi '{other_value}' (tệp {other_file}, ô {other_cell}). Đối chiếu phiếu giấy, sửa "
                      "bản nhập sai rồi gửi lại; phiếu chưa được tính cho đến khi hai bản khớp.")
    ENTRY_OTHER_CLERK = ("survey.same_copy_other_clerk", W, "Same entry copy keyed by another clerk",
                         "Phiếu {serial} ở bản nhập {copy} trước do '{before}' nhập, nay '{after}' nhập lại "
                         "và thay bản trước. Người nhập thứ hai để đối chiếu phải dùng bản nhập khác.")
    ENTRY_SUPERSEDES = ("survey.supersedes", I, "Earlier entries replaced",
                        "Tệp này thay cho {count} phiếu đã nhận trước ở bản nhập {copy} ({files}).")
    # ---- end survey entry & collect

    # ---- templates (issue 7)
    # Word templates (formkit.documents.lint); `item` names the paragraph or table cell.
    TEMPLATE_NOT_DOCX = ("template.not_docx", E, "Not a Word document",
                         "Không mở được tệp như một văn bản Word .docx ({detail}). Mở mẫu bằng Word và "
                         "lưu lại dưới dạng Tài liệu Word (.docx).")
    TEMPLATE_UNKNOWN_KIND = ("template.unknown_kind", W, "Template of no known kind",
                             "Tên tệp '{name}' không phải tên một mẫu văn bản ({names}) nên chỉ kiểm tra "
                             "cú pháp thẻ, chưa kiểm tra biến. Đặt tên tệp trùng tên mẫu cần thay thế.")
    TEMPLATE_SPLIT_TAG = ("template.split_tag", W, "Tag split across runs",
                          "Thẻ {tag} bị Word tách thành nhiều đoạn định dạng (run) trong «{excerpt}». "
                          "docxtpl vẫn ghép lại được, nhưng cả thẻ sẽ mang định dạng của phần đầu. Xóa cả "
                          "thẻ rồi gõ lại một lần, liền một mạch, không định dạng riêng từng phần của thẻ.")
    TEMPLATE_UNCLOSED_TAG = ("template.unclosed_tag", E, "Tag not closed in its paragraph",
                             "Thẻ mở bằng '{opener}' trong «{excerpt}» không đóng trong cùng đoạn văn, nên "
                             "không điền được. Mỗi thẻ phải nằm trọn trong một đoạn: sửa hoặc gõ lại thẻ.")
    TEMPLATE_CURLY_QUOTES = ("template.curly_quotes", W, "Curly quotes inside a tag",
                             "Thẻ {tag} chứa dấu nháy cong (“ ” ‘ ’) do Word tự đổi. docxtpl đổi lại thành "
                             "nháy thẳng khi điền, nhưng nên sửa: tắt tự động đổi dấu nháy (Tệp > Tùy chọn > "
                             "Soát lỗi > Tùy chọn Tự động sửa > Tự động định dạng khi gõ) rồi gõ lại dấu "
                             "nháy thẳng.")
    TEMPLATE_SYNTAX = ("template.syntax", E, "Template syntax error",
                       "Lỗi cú pháp thẻ trong «{excerpt}»: {detail}. Sửa thẻ rồi kiểm tra lại mẫu.")
    TEMPLATE_UNKNOWN_VARIABLE = ("template.unknown_variable", E, "Variable not in the template's contract",
                                 "Biến '{name}' trong «{excerpt}» không có trong danh sách biến của mẫu "
                                 "{kind}, nên không điền được. Kiểm tra lỗi gõ; ở đây dùng được: {allowed} "
                                 "(xem report_templates/README.md).")
    TEMPLATE_MISSING_VARIABLE = ("template.missing_variable", E, "Required variable not used",
                                 "Mẫu {kind} không dùng biến bắt buộc '{name}' ({meaning}). Thêm thẻ của "
                                 "biến này vào đúng chỗ, theo mẫu có sẵn của formkit.")
    # ---- end templates

    def __init__(self, code: str, severity: Severity, title: str, template: str) -> None:
        self.code = code
        self.severity = severity
        self.title = title
        self.template = template

    def __call__(self, *, file: str | None = None, line: int | None = None,
                 item: str | None = None, sheet: str | None = None, cell: str | None = None,
                 **params: object) -> Finding:
        """Build a finding of this code; params fill the message template."""
        shown = {key: _vietnamese_number(value) if isinstance(value, Decimal) else value
                 for key, value in {"file": file, "line": line, "item": item, "sheet": sheet,
                                    "cell": cell, **params}.items()}
        return Finding(self.code, self.severity, self.template.format(**shown),
                       file=file, line=line, sheet=sheet, cell=cell, item=item)
