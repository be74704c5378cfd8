"""What an audit event can record. Each area adds its own actions here; the database
keeps the code, the audit pages show the label."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    # signing in and out
    LOGIN = "login", _("Autentificare reușită")
    LOGIN_FAILED = "login.failed", _("Autentificare eșuată")
    LOGOUT = "logout", _("Deconectare")
    SESSIONS_ENDED = "sessions.ended", _("Deconectare de pe toate dispozitivele")
    # second factors
    TWO_FACTOR_ENROLLED = "2fa.enrolled", _("Metodă 2FA adăugată")
    TWO_FACTOR_VERIFIED = "2fa.verified", _("Verificare 2FA reușită")
    TWO_FACTOR_FAILED = "2fa.failed", _("Cod 2FA greșit")
    TWO_FACTOR_REMOVED = "2fa.removed", _("Metodă 2FA eliminată")
    BACKUP_CODES_ISSUED = "2fa.backup_codes", _("Coduri de rezervă generate")
    # passwords
    PASSWORD_CHANGED = "password.changed", _("Parolă schimbată")
    PASSWORD_RESET = "password.reset", _("Parolă resetată prin e-mail")
    PASSWORD_SET = "password.set", _("Parolă aleasă din link")
    PASSWORD_SET_BY_PARENT = "password.set_by_parent", _("Parolă schimbată de părinte")
    PASSWORD_LINK_ISSUED = "password.link", _("Link de parolă generat")
    # accounts
    USER_CREATED = "user.created", _("Cont creat")
    USER_CHANGED = "user.changed", _("Cont modificat (date sau roluri)")
    USER_DEACTIVATED = "user.deactivated", _("Cont dezactivat")
    USER_REACTIVATED = "user.reactivated", _("Cont reactivat")
    USER_UNLOCKED = "user.unlocked", _("Blocare ridicată")
    PARENT_LINKED = "parent.linked", _("Părinte legat de elev")
    PARENT_UNLINKED = "parent.unlinked", _("Legătură părinte–elev ștearsă")
    # the provider's actions on schools (control plane)
    SCHOOL_REQUESTED = "school.requested", _("Școală cerută")
    SCHOOL_PROVISIONED = "school.provisioned", _("Școală creată")
    SCHOOL_PROVISIONING_FAILED = "school.provisioning_failed", _("Crearea școlii a eșuat")
    SCHOOL_TRANSITION = "school.transition", _("Starea școlii schimbată")
    BACKUP_OPTED_OUT = (
        "backup.incremental_opted_out",
        _("Copia de siguranță zilnică oprită (școală cu contract încheiat)"),
    )
    BACKUP_OPTED_IN = "backup.incremental_opted_in", _("Copia de siguranță zilnică repornită")
    # the school's structure (catalog.structure)
    YEAR_CREATED = "year.created", _("An școlar creat")
    YEAR_RULES_REVISED = "year.rules_revised", _("Regulile anului școlar revizuite")
    YEAR_PERIOD_END_SET = "year.period_end_set", _("Sfârșit de perioadă diferit pentru un nivel")
    YEAR_PERIOD_END_REMOVED = "year.period_end_removed", _("Sfârșit de perioadă diferit pentru un nivel anulat")
    HOLIDAY_ADDED = "year.holiday_added", _("Vacanță adăugată")
    HOLIDAY_REMOVED = "year.holiday_removed", _("Vacanță ștearsă")
    YEAR_CLOSED = "year.closed", _("An școlar încheiat")
    CLASS_CREATED = "class.created", _("Clasă creată")
    CLASS_CHANGED = "class.changed", _("Clasă modificată")
    SUBJECT_CREATED = "subject.created", _("Disciplină creată")
    CURRICULUM_SET = "curriculum.set", _("Plan de învățământ modificat")
    BELL_SET = "bell.set", _("Orarul clopoțelului modificat")
    TIMETABLE_SET = "timetable.set", _("Orarul clasei modificat")
    ASSIGNMENT_CREATED = "assignment.created", _("Încadrare adăugată")
    ASSIGNMENT_REMOVED = "assignment.removed", _("Încadrare ștearsă")
    STUDENT_CREATED = "student.created", _("Elev înscris")
    STUDENT_ENROLLED = "student.enrolled", _("Elev adăugat în clasă")
    STUDENT_LEFT = "student.left", _("Elev plecat din clasă")
    EXEMPTION_SET = "exemption.set", _("Scutire înregistrată")
    STUDENTS_IMPORTED = "students.imported", _("Elevi și părinți importați din CSV")
    YEAR_COPIED = "year.copied", _("Structura anului școlar copiată în anul următor")
    MODULE_CREATED = "module.created", _("Modul curricular adăugat")
    MODULE_CHANGED = "module.changed", _("Modul curricular modificat")
    MODULE_DELETED = "module.deleted", _("Modul curricular șters")
    # grades, averages and conduct (catalog.grades)
    GRADE_ADDED = "grade.added", _("Notă adăugată")
    GRADE_CHANGED = "grade.changed", _("Notă modificată")
    GRADE_DELETED = "grade.deleted", _("Notă ștearsă")
    TRANSCRIPTION_RECORDED = "transcription.recorded", _("Situație școlară transcrisă (transfer)")
    TRANSCRIPTION_DELETED = "transcription.deleted", _("Transcriere ștearsă")
    AVERAGE_CLOSED = "average.closed", _("Medie încheiată")
    AVERAGE_REOPENED = "average.reopened", _("Medie redeschisă")
    CONDUCT_SET = "conduct.set", _("Notă la purtare")
    DESCRIPTIVE_REPORT_SET = "report.descriptive_set", _("Raport descriptiv (clasa pregătitoare)")
    RESULTS_CLOSED = "results.closed", _("Situația clasei încheiată")
    RESULTS_REOPENED = "results.reopened", _("Situația clasei redeschisă")
    RESULT_SET = "result.set", _("Situația școlară a elevului")
    EXAM_RECORDED = "exam.recorded", _("Examen de corigență sau de încheiere a situației")
    LEGACY_IMPORTED = "legacy.imported", _("Medii semestriale din anii dinainte de 2022-2023 importate")
    # absences (catalog.attendance)
    ABSENCE_RECORDED = "absence.recorded", _("Absență înregistrată")
    ABSENCE_DELETED = "absence.deleted", _("Absență ștearsă")
    ABSENCES_EXCUSED = "absence.excused", _("Absențe motivate")
    PARENT_REQUEST_SUBMITTED = "absence.request_submitted", _("Cerere de motivare depusă")
    PARENT_REQUEST_DECIDED = "absence.request_decided", _("Cerere de motivare aprobată sau respinsă")
    ABSENCE_NOTICE = "absence.notice", _("Părinți anunțați despre absențe")
    ABSENCE_NOTICE_RESENT = "absence.notice_resent", _("Înștiințare despre absențe retrimisă unui părinte")
    # reporting to the Ministry (catalog.exports)
    SIIIR_EXPORTED = "siiir.exported", _("Date exportate pentru SIIIR")
    # the school's API (catalog.api)
    API_CLIENT_CREATED = "api.client_created", _("Client API creat")
    API_CLIENT_CHANGED = "api.client_changed", _("Client API modificat")
    API_KEY_ROTATED = "api.key_rotated", _("Cheie API înlocuită")
    API_CLIENT_REVOKED = "api.client_revoked", _("Client API revocat")
    API_READ = "api.read", _("Date citite prin API")
    ONEROSTER_EXPORTED = "api.oneroster_exported", _("Pachet OneRoster descărcat")
    # official documents (catalog.reports)
    DOCUMENT_ISSUED = "document.issued", _("Document oficial generat")
    DOCUMENT_REVOKED = "document.revoked", _("Document oficial anulat")
    ARCHIVE_REQUESTED = "archive.requested", _("Arhiva anului școlar cerută (încheierea anului)")
    ARCHIVE_SEALED = "archive.sealed", _("Arhiva anului școlar sigilată")
    ARCHIVE_DOWNLOADED = "archive.downloaded", _("Fișier din arhiva anului descărcat")
    YEAR_REOPENED = "year.reopened", _("An școlar redeschis")
    # the audit trail itself
    AUDIT_EXPORTED = "audit.exported", _("Jurnal de audit exportat")


def action_label(code: str) -> str:
    try:
        return Action(code).label
    except ValueError:
        return code
