"""The year copy page shows the curricular modules of technological classes it copies."""

import re

from catalog.structure.models import CurricularModule, Level
from tests.catalog.structure.test_rollover import electro, ix_t

COPY_URL = "/configurare/import/copiere-an/"


def test_the_preview_and_the_result_count_the_modules_of_technological_classes(cast, as_user, next_year):
    ix_t(cast, electro(cast))
    client = as_user(cast.admin)
    fields = {"source": cast.year.pk, "target": next_year.pk, "assignments": "on"}
    preview = client.post(COPY_URL, fields).content.decode()
    assert re.findall(r'data-testid="modules">([^<]*)<', preview) == ["3 module curriculare"]  # X T only
    assert not CurricularModule.objects.filter(school_class__year=next_year).exists()
    done = client.post(COPY_URL, {**fields, "confirm": "1"}).content.decode()
    assert 'data-testid="copied-modules">3 module curriculare la clasele tehnologice.' in done
    assert CurricularModule.objects.filter(school_class__year=next_year, school_class__level=Level.X).count() == 3


def test_a_school_without_technological_classes_sees_no_module_count(cast, as_user, next_year):
    client = as_user(cast.admin)
    fields = {"source": cast.year.pk, "target": next_year.pk}
    assert 'data-testid="modules"' not in client.post(COPY_URL, fields).content.decode()
    assert 'data-testid="copied-modules"' not in client.post(COPY_URL, {**fields, "confirm": "1"}).content.decode()
