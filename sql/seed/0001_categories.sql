-- 0001_categories.sql - the marketplace's category tree: seven top-level categories, each with
-- its subcategories (a gig's category_id names a subcategory).
--
-- Runs on every migrate: fixed CUID-shaped ids (^c[a-z0-9]{24}$) and INSERT ... ON DUPLICATE KEY
-- UPDATE make it idempotent, and editing a name or position here updates existing databases.
-- Parents go first so the children's foreign keys find them.

INSERT INTO categories (id, name, slug, parent_id, position) VALUES
    ('ccat000000000000000000001', 'Design & Creative', 'design-creative', NULL, 1),
    ('ccat000000000000000000002', 'Programming & Tech', 'programming-tech', NULL, 2),
    ('ccat000000000000000000003', 'Writing & Translation', 'writing-translation', NULL, 3),
    ('ccat000000000000000000004', 'Digital Marketing', 'digital-marketing', NULL, 4),
    ('ccat000000000000000000005', 'Video & Animation', 'video-animation', NULL, 5),
    ('ccat000000000000000000006', 'Music & Audio', 'music-audio', NULL, 6),
    ('ccat000000000000000000007', 'Business', 'business', NULL, 7)
ON DUPLICATE KEY UPDATE name = VALUES(name), slug = VALUES(slug), parent_id = VALUES(parent_id),
    position = VALUES(position);

INSERT INTO categories (id, name, slug, parent_id, position) VALUES
    ('ccat000000000000000000101', 'Logo Design', 'logo-design', 'ccat000000000000000000001', 1),
    ('ccat000000000000000000102', 'Web Design', 'web-design', 'ccat000000000000000000001', 2),
    ('ccat000000000000000000103', 'Brand Identity', 'brand-identity', 'ccat000000000000000000001', 3),
    ('ccat000000000000000000104', 'Illustration', 'illustration', 'ccat000000000000000000001', 4),
    ('ccat000000000000000000105', 'UI/UX Design', 'ui-ux-design', 'ccat000000000000000000001', 5),
    ('ccat000000000000000000106', 'Print Design', 'print-design', 'ccat000000000000000000001', 6),
    ('ccat000000000000000000201', 'Web Development', 'web-development', 'ccat000000000000000000002', 1),
    ('ccat000000000000000000202', 'Mobile Apps', 'mobile-apps', 'ccat000000000000000000002', 2),
    ('ccat000000000000000000203', 'WordPress', 'wordpress', 'ccat000000000000000000002', 3),
    ('ccat000000000000000000204', 'E-commerce Development', 'ecommerce-development', 'ccat000000000000000000002', 4),
    ('ccat000000000000000000205', 'Software Development', 'software-development', 'ccat000000000000000000002', 5),
    ('ccat000000000000000000206', 'DevOps & Cloud', 'devops-cloud', 'ccat000000000000000000002', 6),
    ('ccat000000000000000000301', 'Articles & Blog Posts', 'articles-blog-posts', 'ccat000000000000000000003', 1),
    ('ccat000000000000000000302', 'Copywriting', 'copywriting', 'ccat000000000000000000003', 2),
    ('ccat000000000000000000303', 'Translation', 'translation', 'ccat000000000000000000003', 3),
    ('ccat000000000000000000304', 'Proofreading & Editing', 'proofreading-editing', 'ccat000000000000000000003', 4),
    ('ccat000000000000000000305', 'Technical Writing', 'technical-writing', 'ccat000000000000000000003', 5),
    ('ccat000000000000000000401', 'Search Engine Optimization', 'seo', 'ccat000000000000000000004', 1),
    ('ccat000000000000000000402', 'Social Media Marketing', 'social-media-marketing', 'ccat000000000000000000004', 2),
    ('ccat000000000000000000403', 'Search Engine Marketing', 'search-engine-marketing', 'ccat000000000000000000004', 3),
    ('ccat000000000000000000404', 'Email Marketing', 'email-marketing', 'ccat000000000000000000004', 4),
    ('ccat000000000000000000405', 'Content Marketing', 'content-marketing', 'ccat000000000000000000004', 5),
    ('ccat000000000000000000501', 'Video Editing', 'video-editing', 'ccat000000000000000000005', 1),
    ('ccat000000000000000000502', 'Animated Explainers', 'animated-explainers', 'ccat000000000000000000005', 2),
    ('ccat000000000000000000503', 'Motion Graphics', 'motion-graphics', 'ccat000000000000000000005', 3),
    ('ccat000000000000000000504', 'Social Media Videos', 'social-media-videos', 'ccat000000000000000000005', 4),
    ('ccat000000000000000000505', 'Subtitles & Captions', 'subtitles-captions', 'ccat000000000000000000005', 5),
    ('ccat000000000000000000601', 'Voice Over', 'voice-over', 'ccat000000000000000000006', 1),
    ('ccat000000000000000000602', 'Mixing & Mastering', 'mixing-mastering', 'ccat000000000000000000006', 2),
    ('ccat000000000000000000603', 'Music Production', 'music-production', 'ccat000000000000000000006', 3),
    ('ccat000000000000000000604', 'Podcast Editing', 'podcast-editing', 'ccat000000000000000000006', 4),
    ('ccat000000000000000000605', 'Sound Design', 'sound-design', 'ccat000000000000000000006', 5),
    ('ccat000000000000000000701', 'Virtual Assistant', 'virtual-assistant', 'ccat000000000000000000007', 1),
    ('ccat000000000000000000702', 'Data Entry', 'data-entry', 'ccat000000000000000000007', 2),
    ('ccat000000000000000000703', 'Market Research', 'market-research', 'ccat000000000000000000007', 3),
    ('ccat000000000000000000704', 'Business Plans', 'business-plans', 'ccat000000000000000000007', 4),
    ('ccat000000000000000000705', 'Financial Consulting', 'financial-consulting', 'ccat000000000000000000007', 5),
    ('ccat000000000000000000706', 'Legal Consulting', 'legal-consulting', 'ccat000000000000000000007', 6)
ON DUPLICATE KEY UPDATE name = VALUES(name), slug = VALUES(slug), parent_id = VALUES(parent_id),
    position = VALUES(position);
