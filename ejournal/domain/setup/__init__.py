"""Setting up a real school: imports of class lists, staff and КТП (later the calendar)."""

from ejournal.domain.setup.ktp import KtpImport, import_ktp, preview_ktp_import
from ejournal.domain.setup.staff import StaffImport, import_staff, preview_staff_import
from ejournal.domain.setup.students import (
    StudentsImport,
    import_students,
    preview_students_import,
)

__all__ = [
    "KtpImport",
    "StaffImport",
    "StudentsImport",
    "import_ktp",
    "import_staff",
    "import_students",
    "preview_ktp_import",
    "preview_staff_import",
    "preview_students_import",
]
